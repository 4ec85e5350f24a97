/**
 * A fault campaign, as a CI timeout or an operator delivers faults: the whole process
 * group of `bench run` is SIGKILLed at seeded random moments in each phase (build,
 * measure, teardown); `bench clean` is itself killed while it tears down and run again;
 * and a run writes to a full disk. After each, nothing may be left: no namespace,
 * process, OVS instance, ledger or scratch directory, BPF program, link or pinned object, and a killed run's results say
 * "killed". A kill that lands after the run already ended is not counted: it is drawn again.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/stats/rng.js';
import { bench, benchBackground, CLI } from '../support/cli.js';
import { waitFor } from '../support/poll.js';
import { ourNetns } from '../support/netns.js';
import { ourBpf, pinnedBpf } from '../support/bpf.js';
import { scratchDir } from '../support/scratch.js';

/** kills that must land, a third in each phase */
const KILLS = 9;
/** programs a run starts: none may outlive `bench clean` */
const OURS = /^(ovsdb-server|ovs-vswitchd|bpftrace|netbench-trace|iperf3|netserver|netperf)$/;

function ourProcesses(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      // a zombie has ended; it only waits for its parent to collect its exit status
      if (OURS.test(comm) && state !== 'Z') out.push(`${comm}[${pid}] ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const logLines = (runDir: string) => (existsSync(join(runDir, 'run.log')) ? readFileSync(join(runDir, 'run.log'), 'utf8').trim().split('\n') : []);

type Phase = 'build' | 'measure' | 'teardown';
/** Which phase run.log says the run is in. */
function phaseOf(runDir: string): Phase | 'starting' | 'ended' {
  const log = logLines(runDir);
  if (log.some((l) => / run (complete|failed|interrupted)$/.test(l))) return 'ended';
  if (log.some((l) => / tearing down /.test(l))) return 'teardown';
  if (log.some((l) => / trial \d+ /.test(l) || / tracing trial /.test(l))) return 'measure';
  if (log.length > 0) return 'build';
  return 'starting';
}

/**
 * A run in a process group of its own, as a CI job's step is. OVS is the topology with
 * the most to leave behind (two daemons and their database beside the namespaces). A run
 * aimed at in its build or measure phase traces (a kill may find the sampler running); one
 * aimed at its teardown does not, since each trial's sampler has stopped before teardown
 * and would only lengthen the draw.
 */
function startRun(runDir: string, env: Record<string, string>, target: Phase = 'measure'): ResultPromise {
  const tracing = target === 'teardown' ? ['--no-trace'] : ['--traced', '1'];
  return benchBackground(['run', '--topology', 'ovs', '--workload', 'tcp-rr', '--path', 'c1-peer', '--trials', '1', ...tracing, '--duration', '1', '--warmup', '0', '--quiet', '--out', runDir], env);
}

/** Phases are short: look every 10 ms. */
const until = (pred: () => boolean, timeoutMs: number) => waitFor(pred, timeoutMs, 10);

/** SIGKILL to the whole group; whether it found the leader still running. */
async function killGroup(child: ResultPromise): Promise<boolean> {
  const alive = child.exitCode === null;
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is gone already
  }
  const r = await child;
  return alive && r.signal === 'SIGKILL';
}

function leftovers(state: string) {
  return { netns: ourNetns(), processes: ourProcesses(), ledgers: list(join(state, 'ledgers')), scratch: list(join(state, 'runs')), bpf: ourBpf(), pinned: pinnedBpf() };
}
const NOTHING = { netns: [], processes: [], ledgers: [], scratch: [], bpf: [], pinned: [] };

function status(runDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { status: string }).status;
  } catch {
    return undefined;
  }
}

describe('fault campaign', () => {
  it(`leaves nothing behind after ${KILLS} process-group kills spread over build, measure and teardown`, async () => {
    expect(ourProcesses()).toEqual([]);
    const state = scratchDir('campaign-state');
    const out = scratchDir('campaign');
    const env = { NETBENCH_STATE_DIR: state };
    const rng = seededRng(20261203);
    const rows: string[] = [];
    const landed: Record<Phase, number> = { build: 0, measure: 0, teardown: 0 };
    const phases: Phase[] = ['build', 'measure', 'teardown'];
    let missed = 0;
    for (let i = 0; landed.build + landed.measure + landed.teardown < KILLS; i++) {
      expect(missed, 'kills that missed their phase, drawn again').toBeLessThan(KILLS);
      const target = phases.find((p) => landed[p] < KILLS / 3)!;
      const runDir = join(out, `kill-${i}`);
      const started = Date.now();
      const child = startRun(runDir, env, target);
      const reached = await until(() => phaseOf(runDir) === target || phaseOf(runDir) === 'ended', 60_000);
      // a random moment within the phase: builds last seconds, a teardown under one
      await new Promise((r) => setTimeout(r, Math.round(rng() * (target === 'teardown' ? 300 : 1500))));
      const during = phaseOf(runDir);
      const atMs = Date.now() - started;
      const hit = reached && (await killGroup(child)) && during === target;
      if (!hit) {
        missed++;
        rows.push(`draw ${i + 1}: aimed at ${target}, missed (the run was ${during}); drawn again`);
      }
      const left = leftovers(state);
      const clean = await bench(['clean'], env);
      expect(clean.code, clean.stderr).toBe(0);
      const after = leftovers(state);
      expect(after, `after draw ${i + 1}; clean said:\n${clean.stdout}`).toEqual(NOTHING);
      if (!hit) continue;
      landed[target]++;
      const st = status(runDir);
      rows.push(`kill ${landed.build + landed.measure + landed.teardown} at ${(atMs / 1000).toFixed(1)} s in ${target}: left ${left.netns.length} netns, ${left.processes.length} processes, ${left.ledgers.length} ledgers, ${left.scratch.length} scratch dirs; after clean nothing; results ${st ?? 'not yet written'}`);
      // a run killed after it wrote its first results says so after clean
      if (st !== undefined) expect(st, rows.at(-1)).toBe('killed');
    }
    process.stdout.write(`fault campaign (kills per phase: build ${landed.build}, measure ${landed.measure}, teardown ${landed.teardown}; ${missed} missed and drawn again):\n${rows.join('\n')}\n`);
  }, 400_000);

  it('a bench clean killed while it tears down, then run again, leaves nothing', async () => {
    const state = scratchDir('campaign-state');
    const runDir = join(scratchDir('campaign'), 'run');
    const env = { NETBENCH_STATE_DIR: state };
    const run = startRun(runDir, env);
    expect(await until(() => phaseOf(runDir) === 'measure', 60_000)).toBe(true);
    expect(await killGroup(run)).toBe(true);
    // the first clean: killed once it has begun tearing down (a ledger says so)
    const ledgerText = () => list(join(state, 'ledgers')).map((f) => { try { return readFileSync(join(state, 'ledgers', f), 'utf8'); } catch { return ''; } }).join('');
    const first = benchBackground(['clean'], env);
    const begun = await until(() => ledgerText().includes('"status":"tearing-down"'), 30_000);
    const killedClean = await killGroup(first);
    expect(begun && killedClean, 'the first clean was killed while tearing down').toBe(true);
    const again = await bench(['clean'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(leftovers(state)).toEqual(NOTHING);
    expect(status(runDir)).toBe('killed');
  }, 120_000);

  it('a run whose --out fills up says so, exits 74, and leaves nothing', async () => {
    const state = scratchDir('campaign-state');
    const mnt = scratchDir('full');
    // a 64 KiB tmpfs in a mount namespace of the run's own: nothing of it is seen outside
    const r = await execa('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=64k nbfull "$1" && exec "$2" "$3" run --topology host --workload tcp-rr --trials 30 --warmup 0 --no-trace --quiet --out "$1/run"`, 'sh', mnt, process.execPath, CLI], { reject: false, env: { NETBENCH_STATE_DIR: state } });
    expect(r.exitCode, String(r.stderr)).toBe(74);
    expect(String(r.stderr)).toMatch(/ENOSPC/);
    expect(leftovers(state)).toEqual(NOTHING);
    expect(list(mnt)).toEqual([]);
  }, 120_000);
});
