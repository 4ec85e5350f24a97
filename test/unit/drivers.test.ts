import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTopology } from '../../src/topology/spec.js';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjectingRunner } from '../../src/exec/fault-runner.js';
import { Ledger } from '../../src/lab/ledger.js';
import { buildTopology } from '../../src/topology/build.js';
import { natRuleset } from '../../src/topology/drivers/nat.js';
import { resolveTopologyArg } from '../../src/topology/registry.js';
import { simulatedKernel, tempState } from '../support/fakes.js';

let cleanup = () => {};
afterEach(() => cleanup());

const ovsJson = (): Record<string, unknown> => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'topologies', 'ovs.json'), 'utf8'));

/** Build a topology given as JSON (a user's file), against the simulated kernel. */
async function buildSpec(json: unknown) {
  const t = tempState();
  const prev = cleanup;
  cleanup = () => {
    prev();
    t.cleanup();
  };
  const { runner } = simulatedKernel();
  const built = await buildTopology(resolveTopology(json, 'test'), { runner, state: t.state, tag: 'abcd', slot: 0, command: 'test' });
  return { built, lines: runner.commandLines };
}

async function build(name: string) {
  const t = tempState();
  cleanup = t.cleanup;
  const { runner, namespaces } = simulatedKernel();
  const built = await buildTopology(resolveTopologyArg(name), { runner, state: t.state, tag: 'abcd', slot: 0, command: 'test' });
  return { built, lines: runner.commandLines, namespaces, state: t.state };
}

describe('drivers build what docs/methodology.md describes', () => {
  it('every topology stands in hostA, switch and peer namespaces with unique short interface names', async () => {
    const { built, namespaces } = await build('bridge');
    expect([...namespaces].sort()).toEqual(['nb-abcd-bridge-c1', 'nb-abcd-bridge-c2', 'nb-abcd-bridge-hostA', 'nb-abcd-bridge-peer', 'nb-abcd-bridge-switch']);
    const names = built.interfaces.map((i) => i.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(15);
    expect(names.every((n) => n.startsWith('abcda-'))).toBe(true);
  });

  it('never runs a command in or on the root namespace except ip netns add/del/list', async () => {
    const { lines } = await build('nat');
    const rootCommands = lines.filter((l) => !l.startsWith('ip -n ') && !l.startsWith('ip netns exec ') && !/^ip netns (add|del|list|pids) /.test(`${l} `));
    expect(rootCommands).toEqual([]);
  });

  it('bridge enslaves the uplink and moves hostA\'s address to the bridge', async () => {
    const { lines, built } = await build('bridge');
    expect(lines).toContain('ip -n nb-abcd-bridge-hostA link set abcda-up master abcda-dbr');
    expect(lines).toContain('ip -n nb-abcd-bridge-hostA addr add 198.18.0.1/24 dev abcda-dbr');
    expect(built.hostA.ifname).toBe('abcda-dbr');
  });

  it('hairpin is set on the switch port for vepa and private only', async () => {
    const hairpin = (lines: string[]) => lines.some((l) => l.includes('hairpin on'));
    expect(hairpin((await build('macvlan-vepa')).lines)).toBe(true);
    expect(hairpin((await build('macvlan-private')).lines)).toBe(true);
    expect(hairpin((await build('macvlan-bridge')).lines)).toBe(false);
    expect(hairpin((await build('bridge')).lines)).toBe(false);
  });

  it('macvlan children are made on the uplink in the requested mode and moved into containers', async () => {
    const { lines } = await build('macvlan-private');
    expect(lines).toContain('ip -n nb-abcd-macvlan-private-hostA link add abcda-c1 link abcda-up type macvlan mode private');
    expect(lines).toContain('ip -n nb-abcd-macvlan-private-hostA link set abcda-c1 netns nb-abcd-macvlan-private-c1');
  });

  it('nat keeps its rules in a table of its own inside hostA and forwards only there', async () => {
    const { lines } = await build('nat');
    expect(lines).toContain('ip netns exec nb-abcd-nat-hostA sysctl -qw net.ipv4.ip_forward=1');
    expect(lines).toContain('ip netns exec nb-abcd-nat-hostA nft -f -');
    expect(lines).toContain('ip -n nb-abcd-nat-c1 route add default via 198.19.0.1');
  });

  it('nat rules masquerade the private network and publish the tool ports to c1', () => {
    const rules = natRuleset(resolveTopologyArg('nat'), 'netbench_abcd', 'abcda-up');
    expect(rules).toContain('ip saddr 198.19.0.0/24 oifname "abcda-up" masquerade');
    expect(rules).toContain('iifname "abcda-up" tcp dport 5201 dnat to 198.19.0.11:5201');
    expect(rules).toContain('iifname "abcda-up" udp dport 12866 dnat to 198.19.0.11:12866');
    expect(rules).toMatch(/^table ip netbench_abcd \{/);
  });

  it('ovs runs a private instance with its own socket, a timeout on every ovs-vsctl, and netdev without the module', async () => {
    const { lines, built } = await build('ovs');
    const vsctl = lines.filter((l) => l.includes('ovs-vsctl'));
    expect(vsctl.length).toBeGreaterThan(3);
    for (const l of vsctl) {
      expect(l).toMatch(/--db=unix:\S+\/runs\/abcd-ovs\/ovs\/db\.sock --timeout=10/);
      expect(l).toContain('ip netns exec nb-abcd-ovs-hostA');
    }
    expect(lines.some((l) => l.includes('ovsdb-server') && l.includes('--pidfile='))).toBe(true);
    expect(lines.some((l) => /\/var\/run\/openvswitch|\/run\/openvswitch/.test(l))).toBe(false);
    // auto follows the kernel: netdev exactly when the openvswitch module is missing
    expect(built.datapath).toBe(existsSync('/sys/module/openvswitch') ? 'system' : 'netdev');
  });

  it('ovs on the netdev datapath turns TX checksum offload off on its veths and says so; on system it does not', async () => {
    const netdev = await buildSpec({ ...ovsJson(), datapath: 'netdev' });
    expect(netdev.built.datapath).toBe('netdev');
    expect(netdev.lines).toContain('ip netns exec nb-abcd-ovs-c1 ethtool -K abcda-c1 tx off');
    expect(netdev.lines.some((l) => l.includes('datapath_type=netdev'))).toBe(true);
    expect(netdev.built.caveats.join(' ')).toContain('netdev datapath');
    const system = await buildSpec({ ...ovsJson(), datapath: 'system' });
    expect(system.built.datapath).toBe('system');
    expect(system.lines.some((l) => l.includes('tx off'))).toBe(false);
    expect(system.lines.some((l) => l.includes('datapath_type=system'))).toBe(true);
    expect(system.built.caveats.join(' ')).toContain('kernel (system) datapath');
  });
});

describe('a build that fails half-way', () => {
  it('is rolled back: every namespace it made is deleted and the ledger removed', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const { runner, namespaces } = simulatedKernel();
    // fail the 4th 'ip -n' command (after hostA, switch and peer exist)
    const faulty = new FaultInjectingRunner(runner, { nth: 12, match: 'ip -n' });
    await expect(buildTopology(resolveTopologyArg('macvlan-bridge'), { runner: faulty, state: t.state, tag: 'abcd', slot: 0, command: 'test' })).rejects.toThrow(
      /building macvlan-bridge failed, everything it created was removed: .*injected fault/,
    );
    expect(runner.commandLines.filter((l) => l.startsWith('ip netns add')).length).toBeGreaterThan(0);
    expect([...namespaces]).toEqual([]);
    expect(Ledger.list(t.state.ledgers)).toEqual([]);
  });

  it('reports the interruption, not a failure, when the build was aborted', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const { runner, namespaces } = simulatedKernel();
    let calls = 0;
    await expect(
      buildTopology(resolveTopologyArg('bridge'), { runner, state: t.state, tag: 'abcd', slot: 0, command: 'test', aborted: () => ++calls > 10 }),
    ).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect([...namespaces]).toEqual([]);
  });
});

describe('Open vSwitch failing to start', () => {
  it('is an OVS_FAILED error carrying the daemon log\'s last lines, with everything rolled back', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const { runner: inner, namespaces } = simulatedKernel();
    const runner = {
      run: (spec: Parameters<typeof inner.run>[0]) =>
        spec.program === 'ovs-vswitchd' ? Promise.resolve({ argv: [spec.program], exitCode: 1, signal: null, stdout: '', stderr: 'ovs-vswitchd: could not initialize', timedOut: false, durationMs: 1 }) : inner.run(spec),
      start: inner.start.bind(inner),
    };
    const err = await buildTopology(resolveTopologyArg('ovs'), { runner, state: t.state, tag: 'abcd', slot: 0, command: 'test' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OVS_FAILED' });
    expect(String((err as Error).message)).toMatch(/ovs-vswitchd failed to start in nb-abcd-ovs-hostA: .*could not initialize; last lines of ovs-vswitchd.log: \(no log\)/);
    expect([...namespaces]).toEqual([]);
  });
});

describe('run tags', () => {
  it('are four characters starting with a letter and are recognised in namespace names', async () => {
    const { newTag, tagOfNetns, TAG_PATTERN } = await import('../../src/lab/names.js');
    let i = 0;
    const seq = [3, 0, 35, 10];
    expect(newTag(() => seq[i++]!)).toBe('da9k');
    for (let k = 0; k < 50; k++) expect(newTag()).toMatch(TAG_PATTERN);
    expect(tagOfNetns('nb-da9k-macvlan-bridge-hostA')).toBe('da9k');
    expect(tagOfNetns('docker-netns')).toBeUndefined();
  });
});
