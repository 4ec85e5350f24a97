/**
 * `bench clean` against a kernel that keeps namespaces (fakes.ts): what a killed run left
 * without a ledger (scratch directories and namespaces named with its run tag) is
 * removed; a live run's, a namespace whose ledger could not be torn down, and anything
 * without the suite's name are left alone, each with the reason; a dry run changes
 * nothing; an unreadable ledger is skipped and the rest still cleaned. Processes are
 * fakes: a clean that went wrong here could signal nothing real.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clean, listOurNetns } from '../../src/lab/clean.js';
import { Ledger } from '../../src/lab/ledger.js';
import { claimRunTag } from '../../src/lab/lock.js';
import { newTag } from '../../src/lab/names.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { fakeProcesses, nsListReply, tempState } from '../support/fakes.js';

let cleanup = () => {};
afterEach(() => cleanup());

/** a kernel that keeps namespaces, and refuses to delete those in `stuck` */
function machine(namespaces: string[]) {
  const t = tempState();
  cleanup = t.cleanup;
  const ns = new Set(namespaces);
  const stuck = new Set<string>();
  const runner = new RecordingRunner((spec) => {
    const a = spec.args;
    if (spec.program !== 'ip' || a[0] !== 'netns') return undefined;
    if (a[1] === 'list') return { stdout: nsListReply([...ns]) };
    if (a[1] === 'del' && stuck.has(a[2]!)) return { exitCode: 1, stderr: `Cannot remove namespace file "/run/netns/${a[2]}": Device or resource busy` };
    if (a[1] === 'del') ns.delete(a[2]!);
    return undefined;
  });
  return { ...t, runner, namespaces: ns, stuck };
}

/** a run tag no process holds: random, as a run's own */
const deadTag = () => newTag();

describe('bench clean', () => {
  it("removes a dead run's scratch directory and namespaces, and nothing without the suite's name", async () => {
    const tag = deadTag();
    const m = machine([`nb-${tag}-nat-c1`, `nb-${tag}-nat-hostA`, 'blue', 'nb-x-not-a-tag', 'nbtest-peer']);
    const scratch = join(m.state.runs, `${tag}-nat`);
    mkdirSync(join(scratch, 'ovs'), { recursive: true });
    writeFileSync(join(scratch, 'ovs', 'notes.txt'), 'x');
    expect(await listOurNetns(m.runner)).toEqual([`nb-${tag}-nat-c1`, `nb-${tag}-nat-hostA`]);
    const report = await clean({ runner: m.runner, state: m.state, dryRun: false, processes: fakeProcesses(new Map()) });
    expect(report.errors).toEqual([]);
    expect(report.actions).toEqual([
      `removing orphan scratch dir ${scratch} (stopping its Open vSwitch and Docker daemons, if any)`,
      `deleting orphan namespace nb-${tag}-nat-c1 and the processes inside it`,
      `deleting orphan namespace nb-${tag}-nat-hostA and the processes inside it`,
    ]);
    expect(existsSync(scratch)).toBe(false);
    expect([...m.namespaces].sort()).toEqual(['blue', 'nb-x-not-a-tag', 'nbtest-peer']);
  });

  it("leaves a live run's scratch directory and namespaces alone, saying why", async () => {
    const tag = deadTag();
    await claimRunTag(tag);
    const m = machine([`nb-${tag}-bridge-c1`]);
    const scratch = join(m.state.runs, `${tag}-bridge`);
    mkdirSync(scratch, { recursive: true });
    const report = await clean({ runner: m.runner, state: m.state, dryRun: false, processes: fakeProcesses(new Map()) });
    expect(report.actions).toEqual([`leaving ${scratch} alone: run ${tag} is still live`, `leaving namespace nb-${tag}-bridge-c1 alone: run ${tag} is still live (its state is kept elsewhere)`]);
    expect(existsSync(scratch)).toBe(true);
    expect([...m.namespaces]).toEqual([`nb-${tag}-bridge-c1`]);
  });

  it('a dry run says what it would do and changes nothing', async () => {
    const tag = deadTag();
    const m = machine([`nb-${tag}-ovs-c1`]);
    const scratch = join(m.state.runs, `${tag}-ovs`);
    mkdirSync(scratch, { recursive: true });
    const report = await clean({ runner: m.runner, state: m.state, dryRun: true, processes: fakeProcesses(new Map()) });
    expect(report.actions).toEqual([`would remove orphan scratch dir ${scratch} (stopping its Open vSwitch and Docker daemons, if any)`, `would delete orphan namespace nb-${tag}-ovs-c1 and the processes inside it`]);
    expect(existsSync(scratch)).toBe(true);
    expect([...m.namespaces]).toEqual([`nb-${tag}-ovs-c1`]);
    expect(m.runner.calls.filter((c) => c.args[1] === 'del')).toEqual([]);
  });

  it("keeps the namespaces of a ledger whose teardown failed, for the next clean, and still cleans the rest", async () => {
    const tag = deadTag();
    const other = deadTag();
    const m = machine([`nb-${tag}-nat-c1`, `nb-${other}-nat-c1`]);
    const l = Ledger.create(m.state.ledgers, `${tag}-nat`, { tag, topology: 'nat', pid: 99999, command: 'bench run', createdAt: 'then' });
    l.append({ kind: 'netns', name: `nb-${tag}-nat-c1` });
    // an entry of another machine that the ledger says nothing about reaching: its undo fails
    l.append({ kind: 'process', host: 'elsewhere', label: 'iperf3', pid: 4242, startTime: '1' });
    // and the kernel refuses to delete the namespace this time (something still holds it)
    m.stuck.add(`nb-${tag}-nat-c1`);
    writeFileSync(join(m.state.ledgers, 'torn.jsonl'), 'not json\n');
    mkdirSync(join(m.state.ledgers, 'odd.jsonl'));
    const report = await clean({ runner: m.runner, state: m.state, dryRun: false, processes: fakeProcesses(new Map()) });
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatch(new RegExp(`^teardown of ${l.path} left 2 object\\(s\\): cannot stop process 4242 \\(iperf3\\) on elsewhere: the ledger does not say how to reach elsewhere; .*nb-${tag}-nat-c1.*busy`));
    expect(report.actions).toContain(`skipping ${join(m.state.ledgers, 'odd.jsonl')}: not a regular file`);
    expect(report.actions).toContain(`skipping ${join(m.state.ledgers, 'torn.jsonl')}: 1 line(s) are not ledger entries and were skipped`);
    expect(report.actions).toContain(`tearing down nat of run ${tag} (pid 99999: bench run)`);
    expect(report.actions).toContain(`leaving namespace nb-${tag}-nat-c1 alone: its run's ledger could not be torn down (see the errors); run 'bench clean' again once that is fixed`);
    expect(report.actions).toContain(`deleting orphan namespace nb-${other}-nat-c1 and the processes inside it`);
    expect([...m.namespaces]).toEqual([`nb-${tag}-nat-c1`]);
    expect(existsSync(l.path)).toBe(true);
  });
});
