/**
 * Builders: every (builder, style) pair a builder claims is built for real and shows its
 * style's row of the reachability table; Docker's own daemon leaves nothing behind, also
 * after a SIGKILL in the middle of its build; ipvlan is built or refused as this kernel
 * allows, never pretended.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateDirs } from '../../src/lab/state.js';
import { bench, benchBackground } from '../support/cli.js';
import { ourNetns, TEST_NETNS_PREFIX } from '../support/netns.js';
import { waitFor } from '../support/poll.js';

const STATE = stateDirs();

interface CheckJson {
  ok: boolean;
  topologies: { result: { topology: string; ok: boolean; cells: { id: string; expected: string; observed: string; ok: boolean; detail: string }[] }; caveats: string[] }[];
}

/** What the root namespace and the machine show of Docker and of the run: it must be the same before and after. */
function machineState() {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => l.split(':')[1]?.trim() ?? '').filter(Boolean).sort();
  const rules = execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n').filter((l) => /DOCKER|CNI/.test(l));
  const cgroups = readdirSync('/sys/fs/cgroup').flatMap((h) => {
    try {
      return readdirSync(join('/sys/fs/cgroup', h)).filter((d) => d.startsWith('netbench-')).map((d) => `${h}/${d}`);
    } catch {
      return [];
    }
  });
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${STATE.root}/`));
  // every process of a run's dockerd names the run's directory on its command line; containers sit in the run's cgroup
  const processes = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        return cmd.includes(`${STATE.root}/`) || cg.includes('/netbench-') ? [`${pid} ${cmd}`] : [];
      } catch {
        return [];
      }
    });
  return { links, rules, cgroups, mounts, processes, netns: ourNetns() };
}

async function checkAll(builder: string): Promise<CheckJson> {
  const before = machineState();
  const r = await bench(['topology', 'check', '--all', '--builder', builder, '--json']);
  const j = JSON.parse(r.stdout) as CheckJson;
  const rows = j.topologies.map((t) => ({ topology: t.result.topology, mismatches: t.result.cells.filter((c) => !c.ok) }));
  expect(rows.filter((x) => x.mismatches.length > 0)).toEqual([]);
  expect(r.code).toBe(0);
  expect(machineState()).toEqual(before);
  return j;
}

describe('builders build the styles they claim, each showing its row', () => {
  it('cni: nat (bridge, ipMasq, portmap), bridge onto the uplink, ptp, macvlan in four modes', async () => {
    const j = await checkAll('cni');
    expect(j.topologies.map((t) => t.result.topology)).toEqual(['host', 'cni-nat', 'cni-bridge', 'cni-ptp', 'cni-macvlan-bridge', 'cni-macvlan-vepa', 'cni-macvlan-private', 'cni-macvlan-passthru']);
    const nat = j.topologies.find((t) => t.result.topology === 'cni-nat')!.result.cells;
    expect(nat.find((c) => c.id === 'peer->c1 published')!.observed).toBe('yes');
    expect(nat.find((c) => c.id === 'peer sees c1 as')!.observed).toBe('hostA');
  });

  it("docker: docker0 with the proxy on and off, a user-defined bridge, macvlan in four modes; nothing of Docker's outlives it", async () => {
    const j = await checkAll('docker');
    expect(j.topologies.map((t) => t.result.topology)).toEqual(['host', 'docker-nat', 'docker-nat-noproxy', 'docker-bridge', 'docker-macvlan-bridge', 'docker-macvlan-vepa', 'docker-macvlan-private', 'docker-macvlan-passthru']);
    for (const name of ['docker-nat', 'docker-bridge']) {
      const cells = j.topologies.find((t) => t.result.topology === name)!.result.cells;
      expect(cells.find((c) => c.id === 'peer->c1 published')!.detail).toContain('198.18.0.1:7007');
    }
    // Docker's embedded DNS: in every user-defined network's containers (macvlan too), never on docker0
    const caveats = (name: string) => j.topologies.find((t) => t.result.topology === name)!.caveats.join(' ');
    expect(caveats('docker-macvlan-bridge')).toContain('connection tracking is on there');
    expect(caveats('docker-bridge')).toContain('connection tracking is on there');
    expect(caveats('docker-nat')).not.toContain('connection tracking');
  });

  it('iproute2: ptp and a vxlan overlay, whose MTU cost is stated', async () => {
    const before = machineState();
    for (const name of ['ptp', 'vxlan']) {
      const r = await bench(['topology', 'check', name, '--json']);
      const j = JSON.parse(r.stdout) as CheckJson;
      expect(j.topologies[0]!.result.cells.filter((c) => !c.ok)).toEqual([]);
      expect(r.code).toBe(0);
      if (name === 'vxlan') expect(j.topologies[0]!.caveats.join(' ')).toContain("the containers' MTU is 1450 on a 1500-byte LAN");
    }
    expect(machineState()).toEqual(before);
  });

  it('ipvlan is built where the kernel has it and refused with the kernel\'s reason where it does not', async () => {
    // ask the kernel directly, in a namespace of the test's own
    const ns = `${TEST_NETNS_PREFIX}ipvlan`;
    execFileSync('ip', ['netns', 'add', ns]);
    let has: boolean;
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
      has = (() => {
        try {
          execFileSync('ip', ['-n', ns, 'link', 'add', 'iv0', 'link', 'p0', 'type', 'ipvlan', 'mode', 'l2'], { stdio: 'pipe' });
          return true;
        } catch (err) {
          expect(String((err as { stderr?: Buffer }).stderr)).toContain('Unknown device type');
          return false;
        }
      })();
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
    const r = await bench(['topology', 'check', 'ipvlan-l2']);
    if (has) expect(r.code).toBe(0);
    else {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('this kernel has no ipvlan');
    }
    expect(ourNetns()).toEqual([]);
  });
});

describe('a SIGKILL during a docker build', () => {
  it.each([
    ['once dockerd has written its pidfile', (dir: string) => existsSync(join(dir, 'docker', 'dockerd.pid'))],
    ['once a container runs', () => ourNetns().some((n) => n.endsWith('-c1'))],
  ])('%s: bench clean stops the daemon, its containers, mounts and cgroups', async (_when, ready) => {
    const before = machineState();
    const child = benchBackground(['topology', 'up', 'docker-nat']);
    const runDir = () => (existsSync(STATE.runs) ? readdirSync(STATE.runs).map((d) => join(STATE.runs, d)) : []);
    expect(await waitFor(() => runDir().some((d) => ready(d)), 30_000)).toBe(true);
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    // the daemon outlives the run it belonged to: a process-group kill is not assumed
    expect(machineState().processes.length).toBeGreaterThan(0);
    const r = await bench(['clean']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(machineState()).toEqual(before);
    expect(runDir()).toEqual([]);
  });
});
