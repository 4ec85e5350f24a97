import { writeFileSync, appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { Ledger, parseLedger } from '../../src/lab/ledger.js';
import { stopProcess } from '../../src/lab/processes.js';
import { ovsPidfiles, stopOvs, teardown } from '../../src/lab/teardown.js';
import { fakeProcesses, nsListReply, tempState } from '../support/fakes.js';

let cleanup = () => {};
afterEach(() => cleanup());

function newLedger() {
  const t = tempState();
  cleanup = t.cleanup;
  const ledger = Ledger.create(t.state.ledgers, 'abcd-bridge', { tag: 'abcd', topology: 'bridge', pid: 1, command: 'test', createdAt: 'now' });
  return { ledger, state: t.state };
}

describe('ledger', () => {
  it('appends entries to disk as they are recorded', () => {
    const { ledger } = newLedger();
    ledger.append({ kind: 'netns', name: 'nb-abcd-bridge-hostA' });
    const reread = Ledger.open(ledger.path);
    expect(reread.entries.map((e) => e.kind)).toEqual(['run', 'netns']);
    expect(reread.header?.tag).toBe('abcd');
    expect(reread.status).toBe('building');
  });

  it('ignores a line torn by a crash', () => {
    expect(parseLedger('{"kind":"netns","name":"a"}\n{"kind":"li')).toEqual([{ kind: 'netns', name: 'a' }]);
  });

  it('lists ledgers in a directory and none when it is missing', () => {
    const { ledger, state } = newLedger();
    expect(Ledger.list(state.ledgers).map((l) => l.path)).toEqual([ledger.path]);
    expect(Ledger.list(join(state.root, 'nope'))).toEqual([]);
  });
});

describe('teardown', () => {
  it('undoes entries in reverse order and removes the ledger', async () => {
    const { ledger, state } = newLedger();
    const dir = join(state.runs, 'abcd-bridge');
    mkdirSync(dir, { recursive: true });
    ledger.append({ kind: 'dir', path: dir });
    ledger.append({ kind: 'netns', name: 'nb-abcd-bridge-hostA' });
    ledger.append({ kind: 'link', netns: 'nb-abcd-bridge-hostA', name: 'abcda-up' });
    ledger.append({ kind: 'nft-table', netns: 'nb-abcd-bridge-hostA', family: 'ip', table: 'netbench_abcd' });
    ledger.append({ kind: 'process', netns: 'nb-abcd-bridge-peer', label: 'iperf3', pid: 4242, startTime: '99' });
    const procs = fakeProcesses(new Map([[4242, '99']]));
    // the kernel as the run left it: hostA holds the uplink and the NAT table
    const kernel = { netns: new Set(['nb-abcd-bridge-hostA']), inside: new Set(['abcda-up', 'netbench_abcd']), late: [] as string[] };
    const runner = new RecordingRunner((spec, argv) => {
      const line = argv.join(' ');
      if (line === 'ip netns list') return { stdout: nsListReply([...kernel.netns]) };
      const thing = ['abcda-up', 'netbench_abcd'].find((t) => argv.includes(t));
      if (thing) {
        // removing something inside a namespace that is gone fails, as the kernel's ip and nft do
        if (!kernel.netns.has('nb-abcd-bridge-hostA')) return (kernel.late.push(thing), { exitCode: 1, stderr: 'Cannot open network namespace' });
        kernel.inside.delete(thing);
      }
      if (line === 'ip netns del nb-abcd-bridge-hostA') kernel.netns.delete('nb-abcd-bridge-hostA');
      return undefined;
    });
    await teardown(ledger, { runner, stateRoot: state.root, processes: procs });
    // the process stopped by pid and start time; the table and the link removed while their namespace was still there, then it
    expect(procs.signals).toEqual([[4242, 'SIGINT']]);
    expect(kernel).toEqual({ netns: new Set(), inside: new Set(), late: [] });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(ledger.path)).toBe(false);
  });

  it('is idempotent: objects already gone count as removed', async () => {
    const { ledger, state } = newLedger();
    ledger.append({ kind: 'netns', name: 'nb-abcd-bridge-c1' });
    ledger.append({ kind: 'link', netns: 'nb-abcd-bridge-c1', name: 'abcda-c1' });
    // namespace already deleted: nothing to do, and no error
    const runner = new RecordingRunner(() => ({ stdout: '' }));
    await teardown(ledger, { runner, stateRoot: state.root });
    expect(runner.commandLines.every((l) => l === 'ip netns list')).toBe(true);
  });

  it('tolerates "Cannot find device" from a link that vanished with its peer', async () => {
    const { ledger, state } = newLedger();
    ledger.append({ kind: 'link', netns: 'nb-abcd-bridge-hostA', name: 'abcda-c1h' });
    const runner = new RecordingRunner((spec) =>
      spec.args[0] === 'netns' ? { stdout: nsListReply(['nb-abcd-bridge-hostA']) } : { exitCode: 1, stderr: 'Cannot find device "abcda-c1h"' },
    );
    await expect(teardown(ledger, { runner, stateRoot: state.root })).resolves.toBeUndefined();
  });

  it('tolerates the kernel\'s "No such device" from a link that vanished between its lookup and its delete', async () => {
    const { ledger, state } = newLedger();
    ledger.append({ kind: 'link', netns: 'nb-abcd-macvlan-vepa-hostA', name: 'abcda-c1' });
    const runner = new RecordingRunner((spec) =>
      spec.args[0] === 'netns' ? { stdout: nsListReply(['nb-abcd-macvlan-vepa-hostA']) } : { exitCode: 2, stderr: 'RTNETLINK answers: No such device' },
    );
    await expect(teardown(ledger, { runner, stateRoot: state.root })).resolves.toBeUndefined();
    expect(existsSync(ledger.path)).toBe(false);
  });

  it('keeps the ledger and reports every failure when something cannot be removed', async () => {
    const { ledger, state } = newLedger();
    ledger.append({ kind: 'link', netns: 'nb-abcd-bridge-hostA', name: 'a' });
    ledger.append({ kind: 'link', netns: 'nb-abcd-bridge-hostA', name: 'b' });
    const runner = new RecordingRunner((spec) =>
      spec.args[0] === 'netns' ? { stdout: nsListReply(['nb-abcd-bridge-hostA']) } : { exitCode: 2, stderr: 'Operation not permitted' },
    );
    await expect(teardown(ledger, { runner, stateRoot: state.root })).rejects.toThrow(/left 2 object\(s\).*Operation not permitted/);
    expect(existsSync(ledger.path)).toBe(true);
    expect(Ledger.open(ledger.path).status).toBe('tearing-down');
  });

  it('refuses to remove a directory outside the state root, or beside it under a name it prefixes', async () => {
    // Decoys of the test's own, never a system path: with the guard broken (a mutation run does exactly that, as
    // root) the teardown really removes what the entry names.
    for (const decoyOf of [() => mkdtempSync(join(tmpdir(), 'netbench-decoy-')), (root: string) => `${root}-decoy`]) {
      const { ledger, state } = newLedger();
      const decoy = decoyOf(state.root);
      mkdirSync(decoy, { recursive: true });
      writeFileSync(join(decoy, 'keep'), 'x');
      try {
        ledger.append({ kind: 'dir', path: decoy });
        await expect(teardown(ledger, { runner: new RecordingRunner(), stateRoot: state.root })).rejects.toThrow(`refusing to remove ${decoy}: outside ${state.root}`);
        expect(existsSync(join(decoy, 'keep'))).toBe(true);
      } finally {
        rmSync(decoy, { recursive: true, force: true });
        cleanup();
      }
    }
  });

  it('dry run describes and changes nothing', async () => {
    const { ledger, state } = newLedger();
    ledger.append({ kind: 'netns', name: 'nb-abcd-bridge-hostA' });
    const lines: string[] = [];
    const runner = new RecordingRunner();
    await teardown(ledger, { runner, stateRoot: state.root, dryRun: true, log: (l) => lines.push(l) });
    expect(lines).toEqual(['would delete network namespace nb-abcd-bridge-hostA']);
    expect(runner.calls).toHaveLength(0);
    expect(existsSync(ledger.path)).toBe(true);
  });
});

describe('stopping processes', () => {
  it('never signals a recycled pid (start time differs)', async () => {
    const procs = fakeProcesses(new Map([[77, 'other']]));
    expect(await stopProcess(77, 'ours', procs, 10)).toBe(true);
    expect(procs.signals).toEqual([]);
  });
  it('escalates SIGINT, SIGTERM, SIGKILL for a stubborn process', async () => {
    const signals: string[] = [];
    let alive = true;
    const ctl = {
      startTime: () => (alive ? '1' : undefined),
      comm: () => 'x',
      cmdline: () => ['x'],
      kill: (_pid: number, sig: string) => {
        signals.push(sig);
        if (sig === 'SIGKILL') alive = false;
      },
    };
    expect(await stopProcess(5, '1', ctl, 30)).toBe(true);
    expect(signals).toEqual(['SIGINT', 'SIGTERM', 'SIGKILL']);
  });
});

describe('ledger file robustness', () => {
  it('survives an appended partial line when reopened', () => {
    const { ledger } = newLedger();
    appendFileSync(ledger.path, '{"kind":"netns","na');
    expect(Ledger.open(ledger.path).entries).toHaveLength(1);
    writeFileSync(ledger.path, '');
    expect(Ledger.open(ledger.path).header).toBeUndefined();
  });

  it('skips lines that are not entries (null, unknown kinds, missing fields) and counts them', () => {
    const { ledger } = newLedger();
    appendFileSync(ledger.path, 'null\n{"kind":"netns"}\n{"kind":"bomb","x":1}\n[1]\n{"kind":"netns","name":"nb-abcd-x-peer"}\n');
    const l = Ledger.open(ledger.path);
    expect(l.entries.map((e) => e.kind)).toEqual(['run', 'netns']);
    expect(l.skipped).toBe(4);
  });

  it('listing skips what is not a ledger file and says so, instead of failing', () => {
    const { ledger, state } = newLedger();
    mkdirSync(join(state.ledgers, 'odd.jsonl'));
    const skipped: string[] = [];
    expect(Ledger.list(state.ledgers, (p, why) => skipped.push(`${p.split('/').pop()}: ${why}`)).map((l) => l.path)).toEqual([ledger.path]);
    expect(skipped).toEqual(['odd.jsonl: not a regular file']);
  });

  it('teardown removes everything even when its own bookkeeping cannot be written', async () => {
    const { ledger, state } = newLedger();
    ledger.append({ kind: 'netns', name: 'nb-abcd-bridge-hostA' });
    const namespaces = new Set(['nb-abcd-bridge-hostA']);
    const runner = new RecordingRunner((spec) => {
      if (spec.args[0] === 'netns' && spec.args[1] === 'list') return { stdout: nsListReply([...namespaces]) };
      if (spec.args[0] === 'netns' && spec.args[1] === 'del') namespaces.delete(spec.args[2]!);
      return undefined;
    });
    // the ledger can no longer be appended to (as on a full or read-only /run)
    const reopened = Ledger.open(ledger.path);
    reopened.append = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const log: string[] = [];
    await teardown(reopened, { runner, stateRoot: state.root, log: (l) => log.push(l) });
    expect(namespaces.size).toBe(0);
    expect(log[0]).toMatch(/could not note the teardown .*ENOSPC.*removing everything anyway/);
  });
});

describe('stopping Open vSwitch from its pidfiles', () => {
  it('stops only a daemon whose command line names that pidfile, never a recycled pid', async () => {
    const t = tempState();
    const dir = join(t.state.root, 'ovs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ovs-vswitchd.pid'), '4101\n');
    writeFileSync(join(dir, 'ovsdb-server.pid'), '4102\n');
    const procs = fakeProcesses(
      new Map([
        [4101, '1'],
        [4102, '2'],
      ]),
      // 4101 is our vswitchd; 4102 is now some other ovs process (a system instance)
      new Map([
        [4101, ['ovs-vswitchd', 'unix:db.sock', `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`]],
        [4102, ['ovsdb-server', '--pidfile=/run/openvswitch/ovsdb-server.pid']],
      ]),
    );
    await stopOvs(dir, procs);
    expect(procs.signals).toEqual([[4101, 'SIGINT']]);
    t.cleanup();
  });

  it('vswitchd before its database; pidfiles without a usable pid, other files and a process that is not OVS are passed over', async () => {
    const t = tempState();
    const dir = join(t.state.root, 'ovs');
    mkdirSync(dir, { recursive: true });
    const files: Record<string, string> = { 'ovsdb-server.pid': '4102\n', 'ovs-vswitchd.pid': ' 4101 \n', 'bad.pid': 'x\n', 'init.pid': '1\n', 'zero.pid': '0', 'half.pid': '4104.5', 'notes.txt': '4103\n', 'other.pid': '4105\n' };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    mkdirSync(join(dir, 'sub.pid'));
    const pidfile = (f: string) => `--pidfile=${join(dir, f)}`;
    const procs = fakeProcesses(
      new Map([[4101, '1'], [4102, '2'], [4103, '3'], [4105, '5']]),
      new Map([[4101, ['ovs-vswitchd', pidfile('ovs-vswitchd.pid')]], [4102, ['ovsdb-server', pidfile('ovsdb-server.pid')]], [4103, ['ovsdb-server', pidfile('notes.txt')]], [4105, ['sleep', pidfile('other.pid')]]]),
    );
    expect(ovsPidfiles(dir).sort((a, b) => a.pid - b.pid)).toEqual([{ file: 'ovs-vswitchd.pid', pid: 4101 }, { file: 'ovsdb-server.pid', pid: 4102 }, { file: 'other.pid', pid: 4105 }]);
    await stopOvs(dir, { ...procs, comm: (pid) => (pid === 4105 ? 'sleep' : procs.comm(pid)) });
    expect(procs.signals).toEqual([[4101, 'SIGINT'], [4102, 'SIGINT']]);
    expect(ovsPidfiles(join(dir, 'missing'))).toEqual([]);
    t.cleanup();
  });
});
