/**
 * The ebpf style on this kernel: its tc programs really forward (hostA's IP stack does
 * not see the packets that ptp's forwards), they are gone with the topology, and a
 * SIGKILL while it is built or measured leaves nothing once `bench clean` has run.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, benchBackground } from '../support/cli.js';
import { ourBpf, pinnedBpf } from '../support/bpf.js';
import { ourNetns } from '../support/netns.js';
import { waitFor } from '../support/poll.js';
import { loadResults } from '../../src/results/validate.js';
import { scratchDir } from '../support/scratch.js';

interface Up {
  namespaces: { hostA: string; peer: string; containers: Record<string, string> };
  endpoints: { containers: { address: string }[] };
  interfaces: { netns: string; name: string; role: string }[];
}

const inNs = (ns: string, program: string, args: string[]) => execFileSync('ip', ['netns', 'exec', ns, program, ...args], { encoding: 'utf8', env: { PATH: `${process.env['PATH']}:/usr/sbin:/sbin` } });

/** hostA's count of forwarded IPv4 packets (/proc/net/snmp, Ip: ForwDatagrams). */
function forwarded(hostA: string): number {
  const lines = inNs(hostA, 'cat', ['/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Ip:'));
  const names = lines[0]!.split(/\s+/);
  return Number(lines[1]!.split(/\s+/)[names.indexOf('ForwDatagrams')]);
}

/** Build the topology, ping c1 from the peer 20 times and c2 from c1 10 times, and count what hostA forwarded meanwhile. */
async function forwardedBy(name: string): Promise<{ forwarded: number; filters: string }> {
  const up = await bench(['topology', 'up', name, '--json']);
  expect(up.code, up.stderr).toBe(0);
  const info = JSON.parse(up.stdout) as Up;
  try {
    const [c1, c2] = info.endpoints.containers.map((c) => c.address);
    const before = forwarded(info.namespaces.hostA);
    inNs(info.namespaces.peer, 'ping', ['-n', '-q', '-c', '20', '-i', '0.01', '-W', '1', c1!]);
    inNs(info.namespaces.containers['c1']!, 'ping', ['-n', '-q', '-c', '10', '-i', '0.01', '-W', '1', c2!]);
    const uplink = info.interfaces.find((i) => i.netns === info.namespaces.hostA && i.role === 'up')!.name;
    const filters = inNs(info.namespaces.hostA, 'tc', ['filter', 'show', 'dev', uplink, 'ingress']);
    return { forwarded: forwarded(info.namespaces.hostA) - before, filters };
  } finally {
    expect((await bench(['topology', 'down', name])).code).toBe(0);
  }
}

describe('the ebpf style', () => {
  it('forwards with its tc programs: hostA forwards none of the packets ptp\'s stack forwards', async () => {
    const ptp = await forwardedBy('ptp');
    // ptp: 20 requests and 20 replies through hostA, and c1 to c2 and back 10 times each
    expect(ptp.forwarded).toBeGreaterThanOrEqual(60);
    expect(ptp.filters.trim()).toBe('');
    const ebpf = await forwardedBy('ebpf');
    // every ping answered (execFileSync throws on loss), and none of them forwarded by hostA's stack
    expect(ebpf.forwarded).toBe(0);
    expect(ebpf.filters).toMatch(/bpf .*to_container.* direct-action/);
    expect(ourNetns()).toEqual([]);
    expect(ourBpf()).toEqual([]);
  });

  it('the tracer shows what the redirects skip: into the container, no host-side transmit and no container receive', async () => {
    const out = scratchDir('ebpf-trace');
    const r = await bench(['run', '--topology', 'ptp,ebpf', '--workload', 'tcp-rr', '--path', 'c1-peer,peer-c1', '--trials', '1', '--traced', '1', '--duration', '0.25', '--warmup', '0', '--busy', 'keep', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // a run with the style reads back against the schema
    const results = loadResults(out);
    const hops = (t: string, p: string) => results.tracing!.cells.find((c) => c.topology === t && c.path === p)!.hops.filter((h) => h.onPath).map((h) => h.hop);
    expect(hops('ptp', 'peer-c1').slice(-2)).toEqual(['up rx → c1h tx', 'c1h tx → c1 rx']);
    expect(hops('ebpf', 'peer-c1').at(-1)).toBe('swa tx → up rx');
    expect(hops('ebpf', 'peer-c1').some((h) => h.includes('c1h') || h.includes('c1 rx'))).toBe(false);
    // out of the machine the redirect is a transmit on the uplink: the same places as ptp's forwarding
    expect(hops('ebpf', 'c1-peer')).toEqual(hops('ptp', 'c1-peer'));
    expect(results.environment.topologies.find((t) => t.name === 'ebpf')?.driver).toBe('ebpf');
    expect(ourBpf()).toEqual([]);
  });

  it('a SIGKILL while it is built or measured leaves nothing once bench clean has run', async () => {
    const state = scratchDir('ebpf-state');
    const env = { NETBENCH_STATE_DIR: state };
    const runs: string[][] = [
      ['topology', 'up', 'ebpf'],
      ['run', '--topology', 'ebpf', '--workload', 'tcp-rr', '--path', 'c1-peer', '--trials', '2', '--duration', '1', '--warmup', '0', '--quiet', '--out', join(scratchDir('ebpf-run'), 'r')],
    ];
    for (const args of runs) {
      const child = benchBackground(args, env);
      // once the datapath is attached (its programs are loaded), or the command ended
      expect(await waitFor(() => ourBpf().length > 0 || child.exitCode !== null, 60_000, 100)).toBe(true);
      if (args[0] === 'run') await new Promise((r) => setTimeout(r, 1500));
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      await child;
      const clean = await bench(['clean'], env);
      expect(clean.code, clean.stderr).toBe(0);
      expect({ netns: ourNetns(), bpf: ourBpf(), pinned: pinnedBpf() }, args.join(' ')).toEqual({ netns: [], bpf: [], pinned: [] });
    }
  });
});
