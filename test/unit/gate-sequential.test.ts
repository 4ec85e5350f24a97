/**
 * `bench gate --run` measures until it knows: the looks it takes, the level each is
 * held to, what the planner measures between them, and that looking several times keeps
 * the false alarms of an A/A comparison within alpha.
 */
import { describe, expect, it } from 'vitest';
import { isRegression } from '../../src/gate/decide.js';
import type { GateConfig } from '../../src/gate/gate.js';
import { estimateSequentialPower } from '../../src/gate/power.js';
import { gateGoal, gateLooks, gateSequence, gateState } from '../../src/gate/sequential.js';
import { sequenceLine } from '../../src/gate/render.js';
import { adaptivePlanner } from '../../src/run/adaptive.js';
import type { Cell, TrialRecord } from '../../src/results/types.js';
import { seededRng } from '../../src/stats/rng.js';
import { normal } from '../support/noise.js';
import { syntheticResults, trial } from '../support/synthetic.js';

const cfg: GateConfig = { threshold: 0.05, alpha: 0.05, ignore: ['p99_us'], metric: {}, workload: {}, workloadMetric: {} };
const cells: Cell[] = [
  { topology: 'host', workload: 'tcp-rr', path: 'c1-peer' },
  { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' },
];

/** A baseline of `n` blocks: host at 10,000/s, bridge at `bridge`, each trial with `cov` noise. */
function baselineOf(n: number, bridge: number, cov: number, seed: number) {
  const rng = seededRng(seed);
  const trials = Array.from({ length: n }, (_, b) => [trial('host', b, 10_000 * (1 + cov * normal(rng))), trial('bridge', b, bridge * (1 + cov * normal(rng)))]).flat();
  return syntheticResults(trials.map((t, i) => ({ ...t, index: i })));
}

describe('the looks of bench gate --run', () => {
  it('look first at the baseline\'s blocks and last at the most, spaced by a common factor, at most four', () => {
    expect(gateLooks(6, 12)).toEqual([6, 8, 10, 12]);
    expect(gateLooks(10, 20)).toEqual([10, 13, 16, 20]);
    expect(gateLooks(5, 6)).toEqual([5, 6]);
    expect(gateLooks(6, 6)).toEqual([6]);
    // a most below the first look: the run cannot take more, so the gate looks once, at the end
    expect(gateLooks(10, 4)).toEqual([4]);
    expect(() => gateLooks(0, 4)).toThrow(/blocks of 1 or more/);
    expect(gateSequence(6, 12, 0.05).alphaPerLook).toBeCloseTo(0.0125, 10);
    expect(gateSequence(6, 6, 0.05).alphaPerLook).toBe(0.05);
  });

  it('looking four times at alpha / 4 keeps an A/A false alarm within alpha; at alpha each, it does not', () => {
    // 6 baseline trials, the current run growing to 12, looked at after 6, 8, 10 and 12; threshold 0 makes every significant drop an alarm
    const rng = seededRng(2024);
    const seq = gateSequence(6, 12, 0.05);
    const runs = 300;
    let split = 0;
    let naive = 0;
    for (let i = 0; i < runs; i++) {
      const base = Array.from({ length: 6 }, () => Math.exp(0.1 * normal(rng)));
      const cur = Array.from({ length: 12 }, () => Math.exp(0.1 * normal(rng)));
      if (seq.looks.some((n) => isRegression(base, cur.slice(0, n), 'higher', 0, seq.alphaPerLook))) split++;
      if (seq.looks.some((n) => isRegression(base, cur.slice(0, n), 'higher', 0, 0.05))) naive++;
    }
    // an alarm is one-sided: about alpha / 2 at one look of a two-sided 5% test. Over 1,500 runs: 1.0% split,
    // 4.1% at alpha each (one look alone: 2.0%): the looks share the baseline, so they add up less than four-fold
    expect(split / runs).toBeLessThanOrEqual(0.025);
    expect(naive).toBeGreaterThan(split);
  });
});

describe('what the gate measures between looks', () => {
  it('judges only at its looks, measures the undecided cells with host beside them, and stops at a regression', () => {
    const baseline = baselineOf(6, 9_000, 0.01, 1);
    const seq = gateSequence(6, 12, cfg.alpha);
    const goal = gateGoal(baseline, { config: { topologies: ['host', 'bridge'], workloads: ['tcp-rr'], paths: ['c1-peer'] } }, cells, cfg, 'relative', seq);
    // tps and the latency and cost metrics the synthetic trials carry: only those measured, p99 ignored
    expect(goal.total).toBe(1);
    expect(goal.noun).toBe('gated metrics');
    const rng = seededRng(3);
    const current = (n: number, bridge: number) => Array.from({ length: n }, (_, b) => [trial('host', b, 10_000 * (1 + 0.01 * normal(rng))), trial('bridge', b, bridge * (1 + 0.01 * normal(rng)))]).flat();
    expect(goal.assess(current(5, 9_000), 5, 7)).toBeNull();
    // a 20% drop, six clean trials a side: a regression at the first look ends the run
    const hit = goal.assess(current(6, 7_200), 6, 6)!;
    expect(hit.active).toEqual([]);
    expect(hit.done).toMatch(/^a regression is significant at look 1 of 4 \(after 6 blocks\) \(bridge tcp-rr c1-peer tps\)/);
    expect(goal.ended()).toBe(hit.done);
  });

  it('an undecided metric keeps its cell and host measured, side by side', () => {
    const row = { topology: 'bridge', workload: 'tcp-rr' as const, path: 'c1-peer' as const, metric: 'tps', unit: 'u', verdict: 'undecided' as const, suspect: false, reason: '', p: 0.3, pAdjusted: 0.3, baselineMedian: 1, currentMedian: 1, change: 0, changeLow: -0.2, changeHigh: 0.2, nBaseline: 6, nCurrent: 6, threshold: 0.05 };
    const more: Cell[] = [...cells, { topology: 'nat', workload: 'tcp-rr', path: 'c1-peer' }];
    const st = gateState([row, { ...row, topology: 'nat', verdict: 'ok', changeLow: -0.01 }], more, 'look 1 of 2', 'relative');
    expect(st.active).toEqual(cells);
    expect(st.pairs).toEqual([[cells[1], cells[0]]]);
    expect(st.undecided).toBe(1);
    const decided = gateState([{ ...row, verdict: 'ok' }], more, 'look 2 of 2', 'relative');
    expect(decided.active).toEqual([]);
    expect(decided.done).toBe('every gated metric is decided at look 2 of 2');
    // absolute figures are not divided by host: no pairs
    expect(gateState([row], more, 'look 1 of 2', 'absolute').pairs).toEqual([]);
  });

  it('drives the planner: a clear A/A is decided at the first look, a noisy one runs to the last', () => {
    const run = (cov: number) => {
      const baseline = baselineOf(6, 9_000, cov, 11);
      const seq = gateSequence(6, 12, cfg.alpha);
      const goal = gateGoal(baseline, { config: { topologies: ['host', 'bridge'], workloads: ['tcp-rr'], paths: ['c1-peer'] } }, cells, cfg, 'relative', seq);
      const planner = adaptivePlanner(cells, { specs: [], seed: 1, warmup: 0, tracedBlocks: 0, maxBlocks: 12, durationS: 1, deadlineMs: Infinity, goal });
      const rng = seededRng(12);
      const taken: TrialRecord[] = [];
      for (let t = planner.next(); t; t = planner.next()) {
        const rec = trial(t.topology, t.block, (t.topology === 'host' ? 10_000 : 9_000) * (1 + cov * normal(rng)), { index: t.index });
        taken.push(rec);
        planner.record(rec);
      }
      return { blocks: new Set(taken.map((t) => t.block)).size, stopped: planner.outlook!().stopped, ended: goal.ended() };
    };
    const quiet = run(0.005);
    expect(quiet.blocks).toBe(6);
    expect(quiet.stopped).toBe('every gated metric is decided at look 1 of 4 (after 6 blocks)');
    const noisy = run(0.3);
    expect(noisy.blocks).toBe(12);
    expect(noisy.ended).toBeNull();
    expect(noisy.stopped).toBe('the most trials (12) were taken');
  });

  it('says how it measured and at what level', () => {
    const line = sequenceLine({ mode: 'relative', rows: [], problems: [], warnings: [], sequence: { looks: [6, 8, 10, 12], alphaPerLook: 0.0125, blocks: 8, stopped: 'every gated metric is decided at look 2 of 4 (after 8 blocks)' } });
    expect(line).toBe('the current run measured 8 block(s) adaptively; the gate judges after blocks 6, 8, 10, 12 (at most 4 looks), each test at alpha 0.0125, so that looking more than once keeps false alarms within alpha; it stopped: every gated metric is decided at look 2 of 4 (after 8 blocks)');
    expect(sequenceLine({ mode: 'relative', rows: [], problems: [], warnings: [] })).toBeNull();
  });
});

describe('gate-power for bench gate --run', () => {
  it('catches a clear drop at the first look and raises no alarm without one', () => {
    const res = baselineOf(12, 9_000, 0.02, 5);
    const [row] = estimateSequentialPower(res, { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer', metric: 'tps' }, { shift: 0.2, first: [6], threshold: 0.05, mode: 'relative', repeats: 50 });
    expect(row!.looks).toEqual([6, 8, 10, 12]);
    expect(row!.power).toBe(1);
    expect(row!.meanTrials).toBe(6);
    expect(row!.falseAlarms).toBe(0);
    // with no regression the run goes on to its last look
    expect(row!.meanTrialsAA).toBe(12);
  });
});
