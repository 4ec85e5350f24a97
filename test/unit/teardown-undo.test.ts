/**
 * Each kind of ledger entry undone on a model of the machine that answers only the
 * commands iproute2 and nft accept (test/support/kernel.ts): what is left afterwards is
 * checked, not which commands were sent. A teardown step that sends a broken command
 * leaves its object behind here, as it would on a real machine.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { Ledger, type LedgerEntry } from '../../src/lab/ledger.js';
import { moveNicInto, giveNicBack } from '../../src/lab/nic.js';
import { netnsNames, teardown, undoEntry } from '../../src/lab/teardown.js';
import { fakeProcesses, tempState } from '../support/fakes.js';
import { kernelModel, ROOT } from '../support/kernel.js';

function ledgerWith(entries: LedgerEntry[]) {
  const t = tempState();
  const ledger = Ledger.create(t.state.ledgers, 'abcd-bridge', { tag: 'abcd', topology: 'bridge', pid: 1, command: 'test', createdAt: 'now' });
  for (const e of entries) ledger.append(e);
  return { ledger: Ledger.open(ledger.path), state: t.state, cleanup: t.cleanup };
}

const A = 'nb-abcd-bridge-hostA';

describe('undoing each entry on the model machine', () => {
  it('a table, a link, a test NIC and the namespace that held them: all gone, the NIC home as it was found, the processes inside stopped first', async () => {
    const m = kernelModel({
      namespaces: [A, 'nb-other-x'],
      links: { 'abcda-up': { netns: A }, eth1: { netns: A, mtu: 9000, up: false, physical: true }, 'other0': { netns: 'nb-other-x' } },
      tables: [`${A} ip netbench_abcd`, `${A} ip6 netbench_abcd`, 'nb-other-x ip netbench_other'],
      procs: { 4242: { startTime: '99', netns: A }, 4243: { startTime: '100', netns: A } },
    });
    const procs = fakeProcesses(new Map([[4242, '99'], [4243, '100']]));
    const { ledger, state, cleanup } = ledgerWith([
      { kind: 'netns', name: A },
      { kind: 'nic', netns: A, name: 'eth1', mtu: 1400, up: true },
      { kind: 'link', netns: A, name: 'abcda-up' },
      { kind: 'nft-table', netns: A, family: 'ip', table: 'netbench_abcd' },
      { kind: 'nft-table', netns: A, family: 'ip6', table: 'netbench_abcd' },
    ]);
    try {
      await teardown(ledger, { runner: m.runner, stateRoot: state.root, processes: procs });
      expect([...m.namespaces]).toEqual(['nb-other-x']);
      expect([...m.tables]).toEqual(['nb-other-x ip netbench_other']);
      // the NIC came home before its namespace went (it was not lost with it), with the MTU and state it had
      expect(m.links.get('eth1')).toEqual({ netns: ROOT, mtu: 1400, up: true, physical: true });
      expect(m.lost).toEqual([]);
      expect(m.links.has('abcda-up')).toBe(false);
      expect(m.links.get('other0')?.netns).toBe('nb-other-x');
      expect(procs.signals.map(([pid]) => pid).sort()).toEqual([4242, 4243]);
      expect(existsSync(ledger.path)).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('objects already gone inside a namespace that is still there count as removed; anything else the tools refuse is a failure', async () => {
    const m = kernelModel({ namespaces: [A] });
    const deps = { runner: m.runner, stateRoot: '/nonexistent-root' };
    await expect(undoEntry({ kind: 'link', netns: A, name: 'abcda-c1' }, deps)).resolves.toBeUndefined();
    await expect(undoEntry({ kind: 'nft-table', netns: A, family: 'ip', table: 'netbench_abcd' }, deps)).resolves.toBeUndefined();
    // a family nft does not know is not "gone": it is a command that cannot work
    await expect(undoEntry({ kind: 'nft-table', netns: A, family: 'ipx', table: 'netbench_abcd' }, deps)).rejects.toThrow(/unknown address family ipx/);
    // with the namespace gone nothing is asked of it at all
    const calls = m.runner.calls.length;
    await undoEntry({ kind: 'link', netns: 'nb-abcd-bridge-c9', name: 'x' }, deps);
    await undoEntry({ kind: 'nft-table', netns: 'nb-abcd-bridge-c9', family: 'ip', table: 't' }, deps);
    await undoEntry({ kind: 'netns', name: 'nb-abcd-bridge-c9' }, deps);
    expect(m.runner.commandLines.slice(calls)).toEqual(['ip netns list', 'ip netns list', 'ip netns list']);
  });

  it('a name in /run/netns that holds no namespace (a run killed inside `ip netns add`): what was to be deleted inside it is gone, and the name itself is removed', async () => {
    const m = kernelModel({ namespaces: ['nb-other-x'], hollow: [A], links: { other0: { netns: 'nb-other-x' } } });
    const { ledger, state, cleanup } = ledgerWith([
      { kind: 'netns', name: A },
      { kind: 'link', netns: A, name: 'abcda-sw' },
      { kind: 'nft-table', netns: A, family: 'ip', table: 'netbench_abcd' },
      { kind: 'qdisc', netns: A, dev: 'abcda-up' },
    ]);
    try {
      await teardown(ledger, { runner: m.runner, stateRoot: state.root, processes: fakeProcesses(new Map()) });
      expect([...m.namespaces]).toEqual(['nb-other-x']);
      expect(m.links.get('other0')?.netns).toBe('nb-other-x');
      expect(existsSync(ledger.path)).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('a namespace the kernel will not delete fails with its words, after its processes were stopped', async () => {
    const m = kernelModel({ namespaces: [A], procs: { 77: { startTime: '5', netns: A } }, refuse: { [A]: 'Cannot remove namespace file "/run/netns/x": Device or resource busy' } });
    const procs = fakeProcesses(new Map([[77, '5']]));
    await expect(undoEntry({ kind: 'netns', name: A }, { runner: m.runner, stateRoot: '/x', processes: procs })).rejects.toThrow(/Device or resource busy/);
    expect(procs.signals).toEqual([[77, 'SIGINT']]);
    expect(m.namespaces.has(A)).toBe(true);
  });

  it("a CNI plugin's DEL runs in hostA's namespace with the container's details; what it made being gone already is no error, anything else is", async () => {
    const m = kernelModel({ namespaces: [A] });
    const entry = { kind: 'cni', netns: A, plugin: 'bridge', containerNs: 'nb-abcd-bridge-c1', ifname: 'eth0', config: '{"type":"bridge"}', path: '/usr/lib/cni' } as const;
    const dels: { env: Record<string, string>; input: string }[] = [];
    const plugin = (answer: { exitCode: number; stdout?: string }) =>
      new RecordingRunner((spec) => {
        if (spec.program !== '/usr/lib/cni/bridge') return m.reply(spec);
        // a plugin is run in the namespace it works in, told what to do by its environment and config on stdin
        if (spec.netns !== A) return { exitCode: 1, stderr: 'wrong namespace' };
        dels.push({ env: { ...spec.env }, input: String(spec.input) });
        return answer;
      });
    const deps = (runner: RecordingRunner) => ({ runner, stateRoot: '/x' });
    await undoEntry(entry, deps(plugin({ exitCode: 0 })));
    expect(dels).toEqual([{ env: { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'nb-abcd-bridge-c1', CNI_NETNS: '/run/netns/nb-abcd-bridge-c1', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' }, input: '{"type":"bridge"}' }]);
    await expect(undoEntry(entry, deps(plugin({ exitCode: 1, stdout: '{"code":11,"msg":"link eth0 not found"}' })))).resolves.toBeUndefined();
    await expect(undoEntry(entry, deps(plugin({ exitCode: 1, stdout: '{"code":999,"msg":"permission denied"}' })))).rejects.toThrow(/^CNI DEL of bridge for nb-abcd-bridge-c1: .*permission denied/);
    // hostA gone: everything the plugin made went with it, and the plugin is not asked
    m.namespaces.delete(A);
    const before = dels.length;
    await undoEntry(entry, deps(plugin({ exitCode: 1, stdout: 'x' })));
    expect(dels).toHaveLength(before);
  });

  it('a directory below the state root goes with all it holds, and one already gone is no error', async () => {
    const { state, cleanup } = tempState();
    try {
      const dir = join(state.runs, 'abcd-bridge');
      mkdirSync(join(dir, 'ovs'), { recursive: true });
      writeFileSync(join(dir, 'ovs', 'conf.db'), 'x');
      const deps = { runner: new RecordingRunner(), stateRoot: state.root };
      await undoEntry({ kind: 'dir', path: dir }, deps);
      expect(existsSync(dir)).toBe(false);
      await expect(undoEntry({ kind: 'dir', path: dir }, deps)).resolves.toBeUndefined();
    } finally {
      cleanup();
    }
  });
});

describe('the test NIC', () => {
  it('moves into a namespace, and a device that cannot move is refused with what the kernel said', async () => {
    const m = kernelModel({ namespaces: [A], links: { eth1: { physical: true } } });
    await moveNicInto(m.runner, 'eth1', A);
    expect(m.links.get('eth1')?.netns).toBe(A);
    await expect(moveNicInto(m.runner, 'eth7', A)).rejects.toThrow(/could not move eth7 into nb-abcd-bridge-hostA .*Cannot find device "eth7"/);
  });

  it('comes back even when its namespace is already gone (the kernel returned it), and only its state is restored', async () => {
    const m = kernelModel({ links: { eth1: { mtu: 9000, up: false, physical: true } } });
    await giveNicBack(m.runner, { netns: A, name: 'eth1', mtu: 1500, up: true });
    expect(m.links.get('eth1')).toEqual({ netns: ROOT, mtu: 1500, up: true, physical: true });
    await giveNicBack(m.runner, { netns: A, name: 'eth1', mtu: 1500, up: false });
    expect(m.links.get('eth1')?.up).toBe(false);
  });

  it('one that is nowhere to be seen is a failure naming why it could not move', async () => {
    const m = kernelModel({ namespaces: [A] });
    await expect(giveNicBack(m.runner, { netns: A, name: 'eth1', mtu: 1500, up: true })).rejects.toThrow(/test NIC eth1 is not back in the machine's namespace: .*Cannot find device "eth1"/);
    await expect(giveNicBack(kernelModel().runner, { netns: A, name: 'eth1', mtu: 1500, up: true })).rejects.toThrow(/Cannot open network namespace "nb-abcd-bridge-hostA"/);
  });
});

describe("`ip netns list`'s names", () => {
  it('with and without an id, blank lines skipped', async () => {
    const runner = new RecordingRunner(() => ({ stdout: 'nb-a-x (id: 3)\n\nnb-b-y\nnb-c-z (id: 0)\n' }));
    expect(await netnsNames(runner)).toEqual(['nb-a-x', 'nb-b-y', 'nb-c-z']);
  });
});

describe('a dry run', () => {
  it('names every object it would undo, on the machine it is on, in reverse order, and touches none', async () => {
    const { ledger, state, cleanup } = ledgerWith([
      { kind: 'dir', path: '/run/netbench/runs/abcd-bridge' },
      { kind: 'results', runId: 'r1', path: '/out/results.json' },
      { kind: 'netns', name: A },
      { kind: 'netns', name: 'nb-abcd-bridge-peer', host: 'lab2' },
      { kind: 'link', netns: A, name: 'abcda-up' },
      { kind: 'nft-table', netns: A, family: 'inet', table: 'netbench_abcd' },
      { kind: 'ovs', netns: A, dir: '/run/netbench/runs/abcd-bridge/ovs' },
      { kind: 'nic', netns: A, name: 'eth1', mtu: 1500, up: true },
      { kind: 'nic', host: 'lab2', netns: 'nb-abcd-bridge-peer', name: 'ens2', mtu: 1500, up: true },
      { kind: 'process', netns: A, label: 'iperf3', pid: 4242, startTime: '1' },
      { kind: 'process', host: 'lab2', label: 'netserver', pid: 55, startTime: '2' },
      { kind: 'cni', netns: A, plugin: 'bridge', containerNs: 'nb-abcd-bridge-c1', ifname: 'eth0', config: '{}', path: '/usr/lib/cni' },
      { kind: 'docker', netns: A, dir: '/run/netbench/runs/abcd-bridge/docker', cgroupParent: 'netbench-abcd', created: [] },
      { kind: 'status', status: 'up' },
    ]);
    try {
      const lines: string[] = [];
      const runner = new RecordingRunner();
      await teardown(ledger, { runner, stateRoot: state.root, dryRun: true, log: (l) => lines.push(l) });
      expect(runner.calls).toEqual([]);
      expect(lines).toHaveLength(13);
      expect(lines.every((l) => l.startsWith('would '))).toBe(true);
      const [docker, cni, remoteProc, proc, remoteNic, nic, ovs, nft, link, remoteNs, ns, results, dir] = lines as [string, ...string[]];
      expect(docker).toMatch(/dockerd .*nb-abcd-bridge-hostA.*\/run\/netbench\/runs\/abcd-bridge\/docker/);
      expect(cni).toMatch(/CNI DEL of bridge for nb-abcd-bridge-c1/);
      expect(remoteProc).toMatch(/process 55 \(netserver\) on lab2$/);
      expect(proc).toMatch(/process 4242 \(iperf3\)$/);
      expect(remoteNic).toMatch(/NIC ens2 back from nb-abcd-bridge-peer on lab2$/);
      expect(nic).toMatch(/NIC eth1 back from nb-abcd-bridge-hostA$/);
      expect(ovs).toMatch(/Open vSwitch .*nb-abcd-bridge-hostA.*\/run\/netbench\/runs\/abcd-bridge\/ovs/);
      expect(nft).toMatch(/nftables table inet netbench_abcd in nb-abcd-bridge-hostA$/);
      expect(link).toMatch(/link abcda-up in nb-abcd-bridge-hostA$/);
      expect(remoteNs).toMatch(/namespace nb-abcd-bridge-peer on lab2$/);
      expect(ns).toMatch(/namespace nb-abcd-bridge-hostA$/);
      expect(results).toMatch(/run r1 killed in \/out\/results.json/);
      expect(dir).toMatch(/directory \/run\/netbench\/runs\/abcd-bridge$/);
      expect(existsSync(ledger.path)).toBe(true);
    } finally {
      cleanup();
    }
  });
});

describe('undoing an ebpf datapath qdisc', () => {
  const q = { kind: 'qdisc', netns: 'nb-abcd-ebpf-hostA', dev: 'abcd0-up' } as const;
  const runner = (present: boolean, reply: { exitCode: number; stderr: string }) => {
    const r = new RecordingRunner((spec, argv) => {
      if (argv.join(' ') === 'ip netns list') return { stdout: present ? 'nb-abcd-ebpf-hostA (id: 3)\n' : '' };
      if (spec.program === 'tc') return reply;
      return undefined;
    });
    return r;
  };

  it('deletes the clsact qdisc in its namespace, which unloads the programs on it', async () => {
    const r = runner(true, { exitCode: 0, stderr: '' });
    await undoEntry(q, { runner: r, stateRoot: '/run/netbench' });
    expect(r.commandLines).toContain('ip netns exec nb-abcd-ebpf-hostA tc qdisc del dev abcd0-up clsact');
  });

  it('a qdisc already gone, or a namespace gone with it, is done; any other refusal fails with tc\'s words', async () => {
    await expect(undoEntry(q, { runner: runner(true, { exitCode: 2, stderr: 'Error: Cannot find specified qdisc on specified device.\n' }), stateRoot: '/run/netbench' })).resolves.toBeUndefined();
    const gone = runner(false, { exitCode: 1, stderr: 'should not be asked' });
    await undoEntry(q, { runner: gone, stateRoot: '/run/netbench' });
    expect(gone.commandLines.some((l) => l.includes('tc qdisc'))).toBe(false);
    await expect(undoEntry(q, { runner: runner(true, { exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted\n' }), stateRoot: '/run/netbench' })).rejects.toThrow(/tc qdisc del dev abcd0-up clsact: exit 2: RTNETLINK answers: Operation not permitted/);
  });
});
