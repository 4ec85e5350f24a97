/**
 * Noticing a busy machine: what other processes used between two /proc samples, the
 * suite's own processes left out, and when a trial counts as contaminated.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrialFn } from '../../src/run/measure.js';
import { busyReason, interferenceBetween, type ProcSample, quietCheck, sampleProcs } from '../../src/run/interference.js';
import { busySummary, STEAL_REASON, stealShare } from '../../src/results/interference.js';
import { trial } from '../support/synthetic.js';

const entry = (ppid: number, ticks: number, command: string, kernel = false) => ({ ppid, ticks, start: '100', command, kernel, cpu: 0 });
const at = (atMs: number, procs: [number, ReturnType<typeof entry>][], stealTicks = 0): ProcSample => ({ atMs, procs: new Map(procs), stealTicks, cpuWaitUs: 1000, cpus: 2 });

describe('interference between two samples', () => {
  it('counts other processes, not the suite (its tree and its daemons) nor kernel threads', () => {
    const me = process.pid;
    const a = at(0, [[me, entry(1, 10, 'node bench')], [500, entry(me, 0, 'iperf3 -c')], [600, entry(1, 5, 'ovs-vswitchd')], [700, entry(1, 50, 'node hog.js')], [20, entry(2, 0, '[ksoftirqd/0]', true)]]);
    const b = at(1000, [[me, entry(1, 30, 'node bench')], [500, entry(me, 80, 'iperf3 -c')], [501, entry(500, 9, 'iperf3 child')], [600, entry(1, 25, 'ovs-vswitchd')], [700, entry(1, 140, 'node hog.js')], [20, entry(2, 40, '[ksoftirqd/0]', true)], [800, entry(1, 3, 'cron job')]], 2);
    const i = interferenceBetween(a, b, new Set([600]));
    expect(i.top).toEqual([{ pid: 700, command: 'node hog.js', cpuS: 0.9 }, { pid: 800, command: 'cron job', cpuS: 0.03 }]);
    expect(i.otherCpuS).toBeCloseTo(0.93, 10);
    expect(i.stealS).toBeCloseTo(0.02, 10);
    expect(busyReason(i, 1, 2)).toBe('other processes used 93% of a CPU; the busiest: pid 700 node hog.js (90%)');
  });
  it('a process that reused a pid counts from zero; a little background work is not busy', () => {
    const a = at(0, [[700, { ...entry(1, 500, 'old'), start: '1' }]]);
    const b = at(1000, [[700, { ...entry(1, 4, 'new'), start: '2' }]]);
    const i = interferenceBetween(a, b);
    expect(i.otherCpuS).toBeCloseTo(0.04, 10);
    expect(busyReason(i, 1, 2)).toBeUndefined();
  });
  it('steal is measured noise: a trial is left out only when the hypervisor stole more than half of the machine', () => {
    expect(busyReason({ otherCpuS: 0, stealS: 0.2, waitS: null, top: [] }, 1, 2)).toBeUndefined();
    expect(busyReason({ otherCpuS: 0, stealS: 0.99, waitS: null, top: [] }, 1, 2)).toBeUndefined();
    expect(busyReason({ otherCpuS: 0, stealS: 1.2, waitS: null, top: [] }, 1, 2)).toBe('the hypervisor stole 120% of a CPU');
  });
  it('CPU pressure alone does not flag a trial: the suite\'s own tools contend too', () => {
    expect(busyReason({ otherCpuS: 0.02, stealS: 0, waitS: 0.39, top: [{ pid: 9, command: 'make', cpuS: 0.02 }] }, 1, 2)).toBeUndefined();
  });
});

describe('on this machine', () => {
  it('a busy process outside the suite is named by the quiet check, with its pid', async () => {
    // the inner shell is orphaned at once (its parent exits), so it is not the suite's child
    const pid = Number(execFileSync('sh', ['-c', 'sh -c "while :; do :; done" >/dev/null 2>&1 & echo $!']).toString().trim());
    try {
      const { warning, interference } = await quietCheck(500);
      // other test files may run beside this one: the spinner is among the busiest, not always first
      expect(warning).toMatch(/^the machine is busy: another process used \d+% of CPU \d during 0\.[5-9]\d* s: pid \d+ /);
      const spinner = interference.top.find((i) => i.pid === pid);
      expect(spinner?.command).toBe('sh -c while :; do :; done');
      expect(spinner!.cpuS).toBeGreaterThan(0.2);
      expect(sampleProcs().procs.get(pid)?.kernel).toBe(false);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });
});

describe('the run summary', () => {
  it('counts contaminated trials and names the worst intruders', () => {
    const hog = { otherCpuS: 0.9, stealS: 0, waitS: 0.5, top: [{ pid: 700, command: 'node hog.js', cpuS: 0.9 }] };
    const s = busySummary([trial('nat', 0, 1), trial('nat', 0, 1, { contaminated: 'busy', interference: hog }), trial('bridge', 1, 1, { contaminated: 'busy', interference: hog })], 2);
    expect(s.contaminated).toBe(2);
    expect(s.intruders).toEqual([{ command: 'node hog.js', pids: [700], cpuS: 1.8, trials: 2 }]);
    expect(s.text).toBe('2 trial(s) ran while the machine was busy: flagged, re-run (at most twice) and left out of the statistics; 2 because other processes used the CPU (worst: node hog.js (pid 700: 1.8 CPU-s over 2 trials)). Steal over all trials: 0.0% of the CPU time');
  });

  it('blames steal, not a process, when the hypervisor stole the time; a process at a few percent is never named', () => {
    // the VM's init used 3% of a CPU in each trial: housekeeping, not the cause
    const init = { pid: 1, command: '/sbin/init', cpuS: 0.03 };
    const stolen = { otherCpuS: 0.03, stealS: 0.6, waitS: null, top: [init] };
    const s = busySummary([trial('host', 0, 1, { interference: { otherCpuS: 0, stealS: 0, waitS: null, top: [] } }), trial('nat', 0, 1, { contaminated: `${STEAL_REASON} 60% of a CPU`, interference: stolen }), trial('nat', 1, 1, { contaminated: 'other processes used 12% of a CPU; none above 5% on its own', interference: { otherCpuS: 0.12, stealS: 0, waitS: null, top: [init] } })], 2);
    expect(s.bySteal).toBe(1);
    expect(s.intruders).toEqual([]);
    expect(s.text).not.toContain('init');
    expect(s.text).toContain('1 because the hypervisor stole CPU time (steal: no process to blame)');
    // 0.6 CPU-s stolen over three 1-s trials on 2 CPUs
    expect(s.stealShare).toBeCloseTo(0.1, 10);
    expect(busyReason({ otherCpuS: 0.12, stealS: 0, waitS: null, top: [init] }, 1, 2)).toBe('other processes used 12% of a CPU; none above 5% on its own');
  });

  it('names at most the three busiest processes, busiest first, each from 5% of a trial on; a steal-flagged trial names none', () => {
    const p = (pid: number, command: string, cpuS: number) => ({ pid, command, cpuS });
    const busy = (block: number, durationMs: number, top: ReturnType<typeof p>[], stealS = 0) =>
      trial('nat', block, 1, { durationMs, contaminated: 'other processes used a CPU', interference: { otherCpuS: top.reduce((x, y) => x + y.cpuS, 0), stealS, waitS: null, top } });
    const s = busySummary(
      [
        busy(0, 1000, [p(10, 'a', 0.5), p(11, 'b', 0.3), p(12, 'c', 0.05)]),
        busy(1, 1000, [p(13, 'd', 0.7), p(11, 'b', 0.3)]),
        // 2 s: 5% is 0.1 CPU-s, so 0.08 is housekeeping
        busy(2, 2000, [p(14, 'e', 0.08)]),
        // the hypervisor's: its processes are not blamed, however busy
        trial('nat', 3, 1, { durationMs: 1000, contaminated: `${STEAL_REASON} 40% of a CPU`, interference: { otherCpuS: 2, stealS: 0.4, waitS: null, top: [p(15, 'f', 2)] } }),
      ],
      2,
    );
    expect(s.intruders).toEqual([
      { command: 'd', pids: [13], cpuS: 0.7, trials: 1 },
      { command: 'b', pids: [11], cpuS: 0.6, trials: 2 },
      { command: 'a', pids: [10], cpuS: 0.5, trials: 1 },
    ]);
    // 0.4 CPU-s stolen over 5 trial-seconds on 2 CPUs
    expect(s.text).toBe(
      '4 trial(s) ran while the machine was busy: flagged, re-run (at most twice) and left out of the statistics; 3 because other processes used the CPU (worst: d (pid 13: 0.7 CPU-s over 1 trials); b (pid 11: 0.6 CPU-s over 2 trials); a (pid 10: 0.5 CPU-s over 1 trials)); 1 because the hypervisor stole CPU time (steal: no process to blame). Steal over all trials: 4.0% of the CPU time',
    );
    expect(busySummary([busy(0, 1000, [p(10, 'a', 0.05)])]).intruders).toEqual([{ command: 'a', pids: [10], cpuS: 0.05, trials: 1 }]);
    expect(busySummary([busy(0, 2000, [p(14, 'e', 0.08)])]).text).toBe('1 trial(s) ran while the machine was busy: flagged, re-run (at most twice) and left out of the statistics; 1 because other processes used the CPU. Steal over all trials: 0.0% of the CPU time');
  });

  it('the steal share is measured even when no trial was flagged, and unknown without /proc samples', () => {
    const some = { otherCpuS: 0, stealS: 0.05, waitS: null, top: [] };
    expect(stealShare([trial('host', 0, 1, { interference: some }), trial('nat', 0, 1, { interference: some })], 2)).toBeCloseTo(0.025, 10);
    expect(busySummary([trial('host', 0, 1, { interference: some })], 2).text).toBeNull();
    expect(stealShare([trial('host', 0, 1)], 2)).toBeNull();
  });
});

describe('a run that measured nothing clean', () => {
  it('says which cells had no successful trial, and that the machine was busy, not that tools failed', async () => {
    const { missingFromRun } = await import('../../src/results/completeness.js');
    const { syntheticResults } = await import('../support/synthetic.js');
    const busy = [0, 1, 2].map((b) => trial('bridge', b, 900, { contaminated: 'busy' }));
    const r = syntheticResults([trial('host', 0, 1000), ...busy]);
    expect(missingFromRun(r)).toEqual(['bridge tcp-rr c1-peer: no successful trial (3 taken while the machine was busy)']);
  });
});

describe('--busy keep: a machine that is never quiet is measured anyway, and the run says so', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  const log = (cfg: { outDir: string }) => readFileSync(join(cfg.outDir, 'run.log'), 'utf8').split('\n').map((l) => l.replace(/^\S+ /, ''));

  /** A whole run of host on the simulated kernel, beside a process that takes 60% of a CPU throughout. */
  async function busyRun(busy: string | undefined) {
    const { resolveRunConfig } = await import('../../src/run/config.js');
    const { executeRun } = await import('../../src/run/execute.js');
    const { simulatedKernel, tempState } = await import('../support/fakes.js');
    const t = tempState();
    cleanup = t.cleanup;
    const { runner } = simulatedKernel();
    const cfg = resolveRunConfig({ topology: 'host', workload: 'tcp-rr', path: 'c1-peer', trials: 2, warmup: 0, seed: 3, out: join(t.state.root, 'out'), trace: false, ...(busy ? { busy } : {}) });
    // every sample is a second later, and the hog has used 0.6 s more of it
    let n = 0;
    const sample = (): ProcSample => {
      n++;
      return at(n * 1000, [[4242, entry(1, 60 * n, 'node hog.js')]]);
    };
    const trialFn: TrialFn = async (s) => ({ ...s, status: 'ok', metrics: { tps: { value: 1000 + s.block, unit: 'transactions/s' } }, flags: [], raw: [], startedAt: new Date().toISOString(), durationMs: 1000 });
    const warnings: string[] = [];
    const { results } = await executeRun(cfg, { runner, state: t.state, aborted: () => false, command: 'test', cpuIdle: { hold: () => ({ valueUs: null, reason: 'not here', release: () => {} }) }, warn: (m) => warnings.push(m), watch: { sample, quietMs: 0 } }, { trialFn });
    return { cfg, results, warnings };
  }

  it('by default every trial is busy, re-run twice and left out: no cell is measured', async () => {
    const { cfg, results, warnings } = await busyRun(undefined);
    expect(cfg.busy).toBe('rerun');
    expect(results.config.busy).toBe('rerun');
    const measured = results.trials.filter((x) => !x.warmup);
    // 2 blocks × (1 + 2 re-runs)
    expect(measured.map((x) => x.block)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(measured.every((x) => x.status === 'ok' && x.contaminated === 'other processes used 60% of a CPU; the busiest: pid 4242 node hog.js (60%)' && x.busy === undefined)).toBe(true);
    expect(results.summary.filter((s) => s.metric === 'tps').map((s) => [s.topology, s.n, s.median])).toEqual([['host', 0, null]]);
    expect(warnings.filter((w) => !w.startsWith('no request held'))).toEqual(['the machine is busy: another process used 60% of CPU 0 during 1.0 s: pid 4242 node hog.js; trials it disturbs are flagged, re-run and left out']);
    expect(log(cfg).filter((l) => /^trial \d+ host/.test(l))[0]).toBe('trial 0 host tcp-rr c1-peer block 0: ok but contaminated (other processes used 60% of a CPU; the busiest: pid 4242 node hog.js (60%)): left out, re-run at most twice');
  });

  it('keeps each busy trial once, counts it, records the policy and names the process in the summary', async () => {
    const { cfg, results, warnings } = await busyRun('keep');
    expect(cfg.busy).toBe('keep');
    expect(results.config.busy).toBe('keep');
    const measured = results.trials.filter((x) => !x.warmup);
    expect(measured.map((x) => x.block)).toEqual([0, 1]);
    expect(measured.every((x) => x.status === 'ok' && x.contaminated === undefined && x.busy === 'other processes used 60% of a CPU; the busiest: pid 4242 node hog.js (60%)')).toBe(true);
    expect(results.summary.filter((s) => s.metric === 'tps').map((s) => [s.topology, s.n, s.median])).toEqual([['host', 2, 1000.5]]);
    const b = busySummary(results.trials, 2);
    expect(b).toMatchObject({ contaminated: 0, bySteal: 0, kept: 2 });
    expect(b.text).toBe('2 trial(s) ran while other processes used the CPU and were kept (--busy keep): their figures include that load (worst: node hog.js (pid 4242: 1.2 CPU-s over 2 trials)). Steal over all trials: 0.0% of the CPU time');
    // the quiet check reads the same samples as the trials: it saw the hog, and says what the policy does with it
    expect(warnings.filter((w) => !w.startsWith('no request held'))).toEqual(['the machine is busy: another process used 60% of CPU 0 during 1.0 s: pid 4242 node hog.js; trials it disturbs are kept and counted (--busy keep), and the report says how many']);
    expect(log(cfg).filter((l) => /^trial \d+ host/.test(l))).toEqual([
      'trial 0 host tcp-rr c1-peer block 0: ok while the machine was busy (other processes used 60% of a CPU; the busiest: pid 4242 node hog.js (60%)): kept (--busy keep)',
      'trial 1 host tcp-rr c1-peer block 1: ok while the machine was busy (other processes used 60% of a CPU; the busiest: pid 4242 node hog.js (60%)): kept (--busy keep)',
    ]);
  });

  it('still leaves out and re-runs a trial the hypervisor stole more than half the machine from', async () => {
    const { withInterference } = await import('../../src/run/measure.js');
    const rec = trial('bridge', 0, 900);
    const record = { built: [] } as unknown as Parameters<typeof withInterference>[3];
    const stolen = withInterference(rec, at(0, [], 0), at(1000, [], 130), record, 'keep');
    expect(stolen).toMatchObject({ contaminated: 'the hypervisor stole 130% of a CPU' });
    expect(stolen).not.toHaveProperty('busy');
    const hog = withInterference(rec, at(0, [[7, entry(1, 0, 'hog')]]), at(1000, [[7, entry(1, 50, 'hog')]]), record, 'keep');
    expect(hog).toMatchObject({ busy: 'other processes used 50% of a CPU; the busiest: pid 7 hog (50%)' });
    expect(hog).not.toHaveProperty('contaminated');
    const { rerunRule } = await import('../../src/run/plan.js');
    expect(rerunRule()(hog)).toBe(false);
    expect(rerunRule()(stolen)).toBe(true);
    // a warm-up is never flagged, whatever the policy: it is not measured
    for (const policy of ['keep', 'rerun'] as const) {
      const warm = withInterference({ ...rec, warmup: true }, at(0, [[7, entry(1, 0, 'hog')]]), at(1000, [[7, entry(1, 50, 'hog')]]), record, policy);
      expect(warm).not.toHaveProperty('busy');
      expect(warm).not.toHaveProperty('contaminated');
      expect(warm).toHaveProperty('interference.otherCpuS', 0.5);
    }
  });

  it('says what --busy takes when given anything else', async () => {
    const { resolveRunConfig } = await import('../../src/run/config.js');
    expect(() => resolveRunConfig({ topology: 'host', busy: 'ignore' })).toThrow("--busy must be rerun (leave out and re-run a trial taken while other processes used the CPU) or keep (count it and say so), got 'ignore'");
    expect(() => resolveRunConfig({ topology: 'host', busy: 'all' })).toThrow(/--busy must be rerun/);
  });

  it('steal alone blames no process; a kept trial with no process over 5% names none; without /proc samples no steal is stated', () => {
    const stolen = trial('bridge', 1, 900, { contaminated: `${STEAL_REASON} 130% of a CPU`, interference: { otherCpuS: 0, stealS: 1.3, waitS: null, top: [] } });
    expect(busySummary([stolen], 2).text).toBe('1 trial(s) ran while the machine was busy: flagged, re-run (at most twice) and left out of the statistics; 1 because the hypervisor stole CPU time (steal: no process to blame). Steal over all trials: 65.0% of the CPU time');
    const many = trial('bridge', 0, 900, { busy: 'other processes used 12% of a CPU; none above 5% on its own' });
    expect(busySummary([many], 2).text).toBe('1 trial(s) ran while other processes used the CPU and were kept (--busy keep): their figures include that load');
  });

  it('a summary of flagged and kept trials together speaks of the kept ones and the steal-flagged ones', () => {
    const kept = trial('bridge', 0, 900, { busy: 'other processes used 50% of a CPU; the busiest: pid 7 hog (50%)', interference: { otherCpuS: 0.5, stealS: 0, waitS: null, top: [{ pid: 7, command: 'hog', cpuS: 0.5 }] } });
    const stolen = trial('bridge', 1, 900, { contaminated: `${STEAL_REASON} 130% of a CPU`, interference: { otherCpuS: 0, stealS: 1.3, waitS: null, top: [] } });
    expect(busySummary([kept, stolen], 2).text).toBe('1 trial(s) ran while other processes used the CPU and were kept (--busy keep): their figures include that load (worst: hog (pid 7: 0.5 CPU-s over 1 trials)); 1 more because the hypervisor stole CPU time: flagged, re-run (at most twice) and left out. Steal over all trials: 32.5% of the CPU time');
  });
});
