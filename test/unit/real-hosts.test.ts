/**
 * The pieces of a real-host run that need no second machine: the ssh command lines, the
 * NIC safety checks, where each command runs, the ledger's remote entries and their
 * teardown, the schedule that keeps a topology's trials together, and the findings.
 */
import { describe, expect, it } from 'vitest';
import { PlacedRunner } from '../../src/exec/placed.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import type { CommandSpec } from '../../src/exec/runner.js';
import { checkDestination, SshRunner, sshOptions } from '../../src/exec/ssh.js';
import { isLedgerEntry, Ledger } from '../../src/lab/ledger.js';
import { checkNicName, deviceTowards, inspectNic, sshDevices } from '../../src/lab/nic.js';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { teardown } from '../../src/lab/teardown.js';
import { realHostTarget } from '../../src/run/peer.js';
import { buildSchedule } from '../../src/run/schedule.js';
import { seededRng } from '../../src/stats/rng.js';
import { realHostFinding } from '../../src/topology/reachability.js';
import { resolveTopology } from '../../src/topology/spec.js';
import type { ReachabilityResult } from '../../src/results/reachability.js';
import { tempState } from '../support/fakes.js';
import { kernelModel, ROOT } from '../support/kernel.js';

const ssh = { destination: 'lab2', configFile: '/etc/nb/ssh_config' };

describe('commands on the peer machine', () => {
  it('go through ssh in BatchMode over the run\'s one connection, quoted for the remote shell, with a remote timeout', async () => {
    const local = new RecordingRunner();
    const remote = new SshRunner(local, ssh, '/run/netbench/ssh/abcd.sock');
    await remote.run({ program: 'iperf3', args: ['-c', '198.18.0.2', '--title', "it's"], netns: 'nb-abcd-host-peer', timeoutMs: 9000 });
    const spec = local.calls[0]!;
    expect(spec.program).toBe('ssh');
    expect(spec.args.slice(0, -3)).toEqual(sshOptions(ssh, { path: '/run/netbench/ssh/abcd.sock' }).concat('-T'));
    expect(spec.args).toContain('BatchMode=yes');
    expect(spec.args).toContain('ControlMaster=no');
    expect(spec.args.at(-3)).toBe('lab2');
    expect(spec.args.at(-2)).toBe('--');
    expect(spec.args.at(-1)).toBe(`timeout -s INT -k 2 9 ip netns exec nb-abcd-host-peer iperf3 -c 198.18.0.2 --title 'it'\\''s'; s=$?; [ $s -ne 255 ] || s=254; exit $s`);
  });

  it("tell ssh's own failure (exit 255) from the command's", async () => {
    const local = new RecordingRunner(() => ({ exitCode: 255, stderr: 'ssh: connect to host lab2 port 22: Connection refused\n' }));
    const r = await new SshRunner(local, ssh).run({ program: 'ip', args: ['netns', 'list'] });
    expect(r.spawnError).toBe('ssh to lab2 failed: ssh: connect to host lab2 port 22: Connection refused');
    const failing = new RecordingRunner(() => ({ exitCode: 254, stderr: 'Cannot find device' }));
    expect((await new SshRunner(failing, ssh).run({ program: 'ip', args: ['link'] })).spawnError).toBeUndefined();
  });

  it('refuse a destination that ssh would read as an option', () => {
    expect(() => checkDestination('-oProxyCommand=sh')).toThrow(/not an ssh destination/);
    expect(() => checkDestination('root@lab 2')).toThrow(/not an ssh destination/);
    expect(() => checkDestination('root@lab2.example')).not.toThrow();
  });

  it('are placed by namespace: the peer namespace there, everything else here', async () => {
    const here = new RecordingRunner();
    const there = new RecordingRunner();
    const placed = new PlacedRunner(here, there);
    placed.placeOnPeer('nb-abcd-bridge-peer');
    await placed.run({ program: 'ss', args: ['-Hltn'], netns: 'nb-abcd-bridge-peer' });
    await placed.run({ program: 'ip', args: ['-n', 'nb-abcd-bridge-peer', 'addr', 'add', '198.18.0.2/24', 'dev', 'eth1'] });
    await placed.run({ program: 'ip', args: ['-n', 'nb-abcd-bridge-hostA', 'link', 'set', 'eth1', 'up'] });
    await placed.run({ program: 'ping', args: ['198.18.0.2'], netns: 'nb-abcd-bridge-c1' });
    expect(there.calls.map((c: CommandSpec) => c.program)).toEqual(['ss', 'ip']);
    expect(here.calls.map((c: CommandSpec) => c.program)).toEqual(['ip', 'ping']);
  });

  it('need all three real-host flags together', () => {
    expect(realHostTarget({})).toBeUndefined();
    expect(() => realHostTarget({ peer: 'lab2' })).toThrow(/needs all three of --uplink/);
    expect(() => realHostTarget({ sshConfig: 'x' })).toThrow(/applies to a real-host run/);
    expect(() => realHostTarget({ uplink: 'eth1', peer: 'lab2', peerUplink: 'eth1/x' })).toThrow(/--peer-uplink 'eth1\/x' is not an interface name/);
    expect(() => realHostTarget({ uplink: '-json', peer: 'lab2', peerUplink: 'eth1' })).toThrow(/--uplink '-json' is not an interface name/);
    expect(realHostTarget({ uplink: 'eth1', peer: 'lab2', peerUplink: 'ens2f0' })).toEqual({ target: { destination: 'lab2' }, uplink: 'eth1', peerUplink: 'ens2f0' });
  });
});

/** `ip -j` answers of a machine whose eth1 is as described. */
function machine(eth1: { addrs?: object[]; master?: string; defaultDev?: string; routes?: object[]; stacked?: object[] }) {
  return new RecordingRunner(machineReplies(eth1));
}

function machineReplies(eth1: { addrs?: object[]; master?: string; defaultDev?: string; routes?: object[]; stacked?: object[] }) {
  return (spec: CommandSpec) => {
    const a = spec.args.join(' ');
    if (a === '-j -d link show dev eth1') return { stdout: JSON.stringify([{ ifname: 'eth1', mtu: 9000, flags: ['BROADCAST', 'UP'], address: '52:54:00:00:00:01', ...(eth1.master ? { master: eth1.master } : {}) }]) };
    if (a === '-j -d link show dev eth9') return { exitCode: 1, stderr: 'Device "eth9" does not exist.' };
    if (a === '-j -d link show') return { stdout: JSON.stringify([{ ifname: 'eth1' }, { ifname: 'veth0', link: 'eth1', linkinfo: { info_kind: 'veth' } }, ...(eth1.stacked ?? [])]) };
    if (a === '-j addr show dev eth1') return { stdout: JSON.stringify([{ ifname: 'eth1', addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }, ...(eth1.addrs ?? [])] }]) };
    if (a === '-j -4 route show table all dev eth1') return { stdout: JSON.stringify(eth1.routes ?? []) };
    if (a === '-j -6 route show table all dev eth1') return { stdout: JSON.stringify([{ dst: 'fe80::/64' }, { type: 'multicast', dst: 'ff00::/8' }, { type: 'local', dst: 'fe80::1' }]) };
    if (a === '-j -4 route show default') return { stdout: JSON.stringify([{ dst: 'default', dev: eth1.defaultDev ?? 'eth0' }]) };
    if (a === '-j -6 route show default') return { stdout: '[]' };
    return undefined;
  };
}

describe('a test NIC', () => {
  it('that carries nothing (an IPv6 link-local address and its kernel routes are nothing) is free, and its state is kept to give back', async () => {
    const r = await inspectNic(machine({}), 'eth1', 'this machine', 'eth0');
    expect(r.refusals).toEqual([]);
    expect(r.state).toEqual({ name: 'eth1', mtu: 9000, up: true, mac: '52:54:00:00:00:01' });
  });

  it('is refused for each use, every reason named', async () => {
    const busy = machine({ addrs: [{ family: 'inet', local: '10.0.0.5', prefixlen: 24, scope: 'global' }], routes: [{ dst: '10.0.0.0/24' }], master: 'br0', defaultDev: 'eth1', stacked: [{ ifname: 'eth1.100', link: 'eth1', linkinfo: { info_kind: 'vlan' } }] });
    const r = await inspectNic(busy, 'eth1', 'lab2', 'eth1');
    expect(r.refusals).toEqual([
      'eth1 on lab2 is enslaved to br0',
      'eth1 on lab2 carries eth1.100 (stacked on it or enslaved to it)',
      'eth1 on lab2 has addresses (10.0.0.5/24)',
      'eth1 on lab2 has routes (10.0.0.0/24)',
      'eth1 on lab2 is the device of the default route (IPv4)',
      'eth1 on lab2 carries the ssh connection between the machines',
    ]);
  });

  it('that does not exist is refused as such', async () => {
    expect((await inspectNic(machine({}), 'eth9', 'this machine')).refusals).toEqual(['eth9 on this machine: there is no such interface']);
  });

  it("read from this machine's own kernel: the loopback interface is refused for what it is and carries", async () => {
    const r = await inspectNic(new ExecaRunner(), 'lo', 'this machine');
    expect(r.state?.name).toBe('lo');
    expect(r.refusals[0]).toBe('lo on this machine is the loopback interface');
    expect(r.refusals.some((x) => /^lo on this machine has addresses \(127\.0\.0\.1\/8(, ::1\/128)?\)$/.test(x))).toBe(true);
    expect(r.refusals.some((x) => /^lo on this machine has routes \(.*local 127\.0\.0\.1/.test(x))).toBe(true);
    expect((await inspectNic(new ExecaRunner(), 'nb-no-such0', 'this machine')).refusals).toEqual(['nb-no-such0 on this machine: there is no such interface']);
  });

  it('a multipath default route names the NIC through its next hops; an IPv6 default route is named as such', async () => {
    const base = machineReplies({});
    const multi = new RecordingRunner((spec) => {
      const a = spec.args.join(' ');
      if (a === '-j -4 route show default') return { stdout: JSON.stringify([{ dst: 'default', nexthops: [{ dev: 'eth0' }, { dev: 'eth1' }] }]) };
      if (a === '-j -6 route show default') return { stdout: JSON.stringify([{ dst: 'default', dev: 'eth1' }]) };
      return base(spec);
    });
    expect((await inspectNic(multi, 'eth1', 'lab2')).refusals).toEqual(['eth1 on lab2 is the device of the default route (IPv4)', 'eth1 on lab2 is the device of the default route (IPv6)']);
  });

  it('a route of another type is named with it, and output that is not JSON reads as nothing', async () => {
    const odd = machine({ routes: [{ type: 'broadcast', dst: '10.0.0.255' }, { dst: '10.1.0.0/16', type: 'unicast' }] });
    expect((await inspectNic(odd, 'eth1', 'lab2')).refusals).toEqual(['eth1 on lab2 has routes (broadcast 10.0.0.255, 10.1.0.0/16)']);
    const garbled = new RecordingRunner((spec) => (spec.args.join(' ') === '-j -d link show dev eth1' ? { stdout: '{"not":"a list"}' } : { stdout: 'not json' }));
    expect(await inspectNic(garbled, 'eth1', 'lab2')).toEqual({ state: { name: 'eth1', mtu: 1500, up: false, mac: '' }, refusals: [] });
  });
});

describe('interface names and the way to the peer', () => {
  it('an interface name is 1-15 letters, digits, _ . : or -, not starting with - and not . or ..', () => {
    for (const ok of ['eth0', 'ens2f0np0', 'a', 'x'.repeat(15), 'eth0.100', 'eth0:1', 'my_nic-2']) expect(() => checkNicName('--uplink', ok)).not.toThrow();
    for (const bad of ['x'.repeat(16), '-eth0', '.', '..', 'eth 0', 'eth0/1', '', 'eth0;ls']) expect(() => checkNicName('--uplink', bad), bad).toThrow(`--uplink '${bad}' is not an interface name (at most 15 letters, digits, '_', '.', ':' or '-')`);
  });

  it("the device towards an address, from this machine's routes; anything but an address is not asked", async () => {
    expect(await deviceTowards(new ExecaRunner(), '127.0.0.1')).toBe('lo');
    const r = new RecordingRunner();
    expect(await deviceTowards(r, '10.0.0.1; reboot')).toBeUndefined();
    expect(await deviceTowards(r, 'lab2')).toBeUndefined();
    expect(r.calls).toEqual([]);
  });

  it("the ssh connection's devices on both machines, from SSH_CONNECTION; none through a ProxyCommand", async () => {
    const route = (dev: string) => new RecordingRunner((spec) => (spec.program === 'ip' ? { stdout: JSON.stringify([{ dst: spec.args[3], dev }]) } : { stdout: '10.0.0.2 50000 10.0.0.1 22\n' }));
    const local = route('eth0');
    const remote = route('ens3');
    expect(await sshDevices(local, remote)).toEqual({ local: 'eth0', remote: 'ens3' });
    expect(local.calls.map((c) => c.args.join(' '))).toEqual(['-j route get 10.0.0.1']);
    expect(remote.calls.map((c) => c.args.join(' '))).toEqual(['-c echo "$SSH_CONNECTION"', '-j route get 10.0.0.2']);
    const proxied = new RecordingRunner(() => ({ stdout: 'UNKNOWN\n' }));
    expect(await sshDevices(new RecordingRunner(), proxied)).toEqual({});
  });
});

/**
 * A machine as teardown sees it: namespaces holding NICs, NICs with MTU and state, and one
 * remote process; the commands teardown sends change it as the kernel would. A namespace
 * deleted with a NIC still in it loses that NIC.
 */
describe("a real-host run's ledger", () => {
  it('has remote entries and NIC moves of a known shape', () => {
    expect(isLedgerEntry({ kind: 'nic', host: 'lab2', netns: 'nb-abcd-host-peer', name: 'eth1', mtu: 1500, up: false })).toBe(true);
    expect(isLedgerEntry({ kind: 'nic', netns: 'nb-abcd-host-hostA', name: 'eth1', up: false })).toBe(false);
    expect(isLedgerEntry({ kind: 'ssh', host: 'lab2', config: '/etc/nb/ssh_config' })).toBe(true);
    expect(isLedgerEntry({ kind: 'process', host: 7, label: 'iperf3', pid: 1, startTime: '1' })).toBe(false);
  });

  it('is undone on the right machine: NICs given back before their namespaces go, remote processes stopped by pid and start time', async () => {
    const { state, cleanup } = tempState();
    try {
      const ledger = Ledger.create(state.ledgers, 'abcd-host', { tag: 'abcd', topology: 'host', pid: 1, command: 'bench run', createdAt: 'now' });
      ledger.append({ kind: 'netns', name: 'nb-abcd-host-hostA' });
      ledger.append({ kind: 'ssh', host: 'lab2', config: '/etc/nb/ssh_config' });
      ledger.append({ kind: 'netns', name: 'nb-abcd-host-peer', host: 'lab2' });
      ledger.append({ kind: 'nic', netns: 'nb-abcd-host-hostA', name: 'eth1', mtu: 1500, up: false });
      ledger.append({ kind: 'nic', host: 'lab2', netns: 'nb-abcd-host-peer', name: 'ens2', mtu: 9000, up: true });
      ledger.append({ kind: 'process', host: 'lab2', netns: 'nb-abcd-host-peer', label: 'iperf3', pid: 4242, startTime: '777' });
      // the NICs as veths would be, lost with their namespace, so that the order shows
      const here = kernelModel({ namespaces: ['nb-abcd-host-hostA'], links: { eth1: { netns: 'nb-abcd-host-hostA', mtu: 1200, up: true } } });
      const there = kernelModel({ namespaces: ['nb-abcd-host-peer'], links: { ens2: { netns: 'nb-abcd-host-peer', mtu: 1500, up: false } }, procs: { 4242: { startTime: '777', netns: 'nb-abcd-host-peer' } } });
      await teardown(Ledger.open(ledger.path), { runner: here.runner, stateRoot: state.root, remote: (host) => (host === 'lab2' ? there.runner : undefined) });
      // each NIC is back in its own machine's namespace, as it was found: MTU and state
      expect(Object.fromEntries(here.links)).toEqual({ eth1: { netns: ROOT, mtu: 1500, up: false, physical: false } });
      expect(Object.fromEntries(there.links)).toEqual({ ens2: { netns: ROOT, mtu: 9000, up: true, physical: false } });
      // their namespaces are gone; no NIC went down with one (the kernel would have destroyed a veth, or lost a NIC)
      expect([...here.namespaces, ...there.namespaces]).toEqual([]);
      expect([...here.lost, ...there.lost]).toEqual([]);
      // the remote server was stopped on the peer, by pid and start time; nothing of the peer's was done here
      expect(there.stopped).toEqual([{ pid: 4242, startTime: '777' }]);
      expect(here.stopped).toEqual([]);
      expect(here.runner.calls.flatMap((c) => c.args)).not.toContain('ens2');
      expect(there.runner.calls.flatMap((c) => c.args)).not.toContain('eth1');
    } finally {
      cleanup();
    }
  });
});

describe("the peer's namespaces", () => {
  const ledgerOf = (state: { ledgers: string }, names: string[]) => {
    const ledger = Ledger.create(state.ledgers, 'abcd-host', { tag: 'abcd', topology: 'host', pid: 1, command: 'bench run', createdAt: 'now' });
    ledger.append({ kind: 'ssh', host: 'lab2' });
    for (const name of names) ledger.append({ kind: 'netns', name, host: 'lab2' });
    return Ledger.open(ledger.path);
  };

  it("are deleted with every process still inside them stopped first; one already gone is nothing to do", async () => {
    const { state, cleanup } = tempState();
    try {
      const there = kernelModel({ namespaces: ['nb-abcd-host-peer', 'nb-other-x'], procs: { 311: { startTime: '1', netns: 'nb-abcd-host-peer' }, 312: { startTime: '2', netns: 'nb-abcd-host-peer' }, 313: { startTime: '3', netns: 'nb-other-x' } } });
      const here = kernelModel();
      await teardown(ledgerOf(state, ['nb-abcd-host-gone', 'nb-abcd-host-peer']), { runner: here.runner, stateRoot: state.root, remote: () => there.runner });
      // stopped by pid alone: the ledger never knew their start times
      expect(there.stopped).toEqual([{ pid: 311, startTime: '' }, { pid: 312, startTime: '' }]);
      expect([...there.namespaces]).toEqual(['nb-other-x']);
      expect([...there.procs.keys()]).toEqual([313]);
      // the namespace that was already gone was only looked for
      expect(there.runner.calls.filter((c) => c.args.includes('nb-abcd-host-gone')).map((c) => c.args[1])).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('one the peer will not delete is a failure of the teardown, named with what the peer said', async () => {
    const { state, cleanup } = tempState();
    try {
      const there = kernelModel({ namespaces: ['nb-abcd-host-peer'], refuse: { 'nb-abcd-host-peer': 'Cannot remove namespace file "/run/netns/nb-abcd-host-peer": Device or resource busy' } });
      const ledger = ledgerOf(state, ['nb-abcd-host-peer']);
      await expect(teardown(ledger, { runner: kernelModel().runner, stateRoot: state.root, remote: () => there.runner })).rejects.toThrow(/Device or resource busy/);
      expect([...there.namespaces]).toEqual(['nb-abcd-host-peer']);
    } finally {
      cleanup();
    }
  });
});

describe('the schedule of a real-host run', () => {
  it("keeps each topology's trials of a block together: one rebuild per topology and block", () => {
    const cells = ['host', 'bridge', 'macvlan-bridge'].flatMap((topology) => (['tcp-rr', 'tcp-stream'] as const).flatMap((workload) => (['c1-peer', 'peer-c1'] as const).map((path) => ({ topology, workload, path }))));
    // within each block (and the warm-ups), how many runs of one topology there are
    const runsPerBlock = (byTopology: boolean) => {
      const s = buildSchedule(cells, 3, 1, seededRng(5), 1, byTopology);
      return [-1, 0, 1, 2].map((b) => s.filter((t) => t.block === b).filter((t, i, all) => i === 0 || all[i - 1]!.topology !== t.topology).length);
    };
    expect(runsPerBlock(true)).toEqual([3, 3, 3, 3]);
    expect(runsPerBlock(false).slice(1).every((n) => n > 3)).toBe(true);
    // the same cells either way
    const key = (t: { topology: string; workload: string; path: string; block: number; traced: boolean }) => `${t.topology} ${t.workload} ${t.path} ${t.block} ${t.traced}`;
    expect(buildSchedule(cells, 3, 1, seededRng(5), 1, true).map(key).sort()).toEqual(buildSchedule(cells, 3, 1, seededRng(5), 1, false).map(key).sort());
  });
});

describe('reachability on real hardware', () => {
  const vepa = resolveTopology({ name: 'mv', driver: 'macvlan', mode: 'vepa', lan: { cidr: '198.18.0.0/24' }, containers: { count: 2 } }, 'test');
  const reach = (bad: string[]): ReachabilityResult => ({
    topology: 'mv',
    ok: bad.length === 0,
    cells: ['c1->peer', 'peer->c1', 'peer->c1 published', 'c1->c2', 'hostA->c1', 'peer sees c1 as'].map((id) => ({ id, expected: 'yes', observed: bad.includes(id) ? 'no' : 'yes', ok: !bad.includes(id), detail: '' })),
  }) as ReachabilityResult;

  it('a switch that does not hairpin is a finding about the switch, and c1 <-> peer is still measured', () => {
    const f = realHostFinding(vepa, reach(['c1->c2', 'hostA->c1']))!;
    expect(f.measurable).toBe(true);
    expect(f.unreachable).toEqual(['c1-c2']);
    expect(f.text).toMatch(/needs it to send the frames back out of the same port \(hairpin, or reflective relay\).*finding about the switch, not a fault of the suite/);
  });

  it("a child the peer cannot reach points at the NIC, switch or hypervisor dropping the child's MAC", () => {
    const f = realHostFinding(vepa, reach(['peer->c1', 'c1->peer']))!;
    expect(f.measurable).toBe(false);
    expect(f.text).toMatch(/drops frames for the macvlan child's MAC address.*on VMware, promiscuous mode and forged transmits on the port group/);
  });

  it('other failures are not explained away', () => {
    const bridge = resolveTopology({ name: 'br', driver: 'bridge', lan: { cidr: '198.18.0.0/24' }, containers: { count: 1 } }, 'test');
    expect(realHostFinding(bridge, reach(['peer->c1']))).toBeUndefined();
  });
});
