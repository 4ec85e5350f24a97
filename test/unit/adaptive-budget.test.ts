/**
 * The adaptive planner's budget at its edges, on a clock the test moves: a block runs
 * when it fits exactly, the estimate before any trial, what a block's cost is made of
 * (plain trials only, each cell's own), the most blocks, a block cut short when the run
 * overruns its budget by half a minute, and the progress and time-left it reports.
 */
import { describe, expect, it } from 'vitest';
import { adaptivePlanner } from '../../src/run/adaptive.js';
import { comparisonSides, comparisonSpecs } from '../../src/results/comparisons.js';
import type { Cell, TrialRecord } from '../../src/results/types.js';
import type { ScheduledTrial } from '../../src/run/schedule.js';

const TOPOS = ['host', 'nat', 'macvlan-bridge'];
const cells: Cell[] = TOPOS.map((topology) => ({ topology, workload: 'tcp-rr', path: 'c1-peer' }));
const specs = () => comparisonSpecs(comparisonSides(TOPOS, 'all'), ['tcp-rr'], ['c1-peer']);

/** A trial whose figures decide nothing (every cell alike, a little noise) and that took `ms`. */
function record(t: ScheduledTrial, ms: number): TrialRecord {
  const tps = 10_000 * (1 + 0.03 * Math.sin(t.index * 7.3));
  return { ...t, workload: 'tcp-rr', path: 'c1-peer', status: 'ok', metrics: { tps: { value: tps, unit: 'transactions/s' }, p99_us: { value: 1e6 / tps, unit: 'µs' } }, flags: [], raw: [], startedAt: '', durationMs: ms } as TrialRecord;
}

/** Run a planner to its end; `ms(t)` is how long each trial takes on the test's clock. */
function drive(opts: { deadlineMs: number; maxBlocks?: number; tracedBlocks?: number; warmup?: number; durationS?: number }, ms: (t: ScheduledTrial) => number) {
  let clock = 0;
  const planner = adaptivePlanner(cells, { specs: specs(), seed: 3, warmup: opts.warmup ?? 0, tracedBlocks: opts.tracedBlocks ?? 0, maxBlocks: opts.maxBlocks ?? 50, durationS: opts.durationS ?? 1, deadlineMs: opts.deadlineMs, now: () => clock, outOfReach: false });
  const taken: ScheduledTrial[] = [];
  for (let t = planner.next(); t; t = planner.next()) {
    taken.push(t);
    clock += ms(t);
    planner.record(record(t, ms(t)));
  }
  return { planner, taken, clock, blocks: new Set(taken.filter((t) => !t.warmup).map((t) => t.block)).size };
}

describe("the adaptive plan's budget", () => {
  it('a block that fits the budget exactly still runs; one more millisecond of it does not', () => {
    // three cells of 1 s: blocks start at 0, 3 and 6 s; at 6 s the next costs exactly the 3 s left
    expect(drive({ deadlineMs: 9_000 }, () => 1000).blocks).toBe(3);
    expect(drive({ deadlineMs: 8_999 }, () => 1000).blocks).toBe(2);
    expect(drive({ deadlineMs: 8_999 }, () => 1000).planner.status().stopped).toBe('the budget is spent (2 of 2 comparisons undecided)');
  });

  it("a block's cost is each cell's own median, so one slow cell costs what it takes", () => {
    // nat takes 4 s, the others 1 s: a block costs 6 s; 13 s hold blocks at 0 and 6 s only
    const r = drive({ deadlineMs: 13_000 }, (t) => (t.topology === 'nat' ? 4000 : 1000));
    expect(r.blocks).toBe(2);
    expect(drive({ deadlineMs: 18_000 }, (t) => (t.topology === 'nat' ? 4000 : 1000)).blocks).toBe(3);
  });

  it('before any trial, the time left is estimated at 1.1 s per second of trial and 0.3 s more, per cell', () => {
    const planner = adaptivePlanner(cells, { specs: specs(), seed: 3, warmup: 0, tracedBlocks: 0, maxBlocks: 2, durationS: 1, deadlineMs: Infinity, now: () => 0 });
    // two blocks of three cells at 1.4 s each
    expect(planner.status().etaS).toBeCloseTo(8.4, 9);
    const half = adaptivePlanner(cells, { specs: specs(), seed: 3, warmup: 0, tracedBlocks: 0, maxBlocks: 1, durationS: 0.5, deadlineMs: Infinity, now: () => 0 });
    expect(half.status().etaS).toBeCloseTo(3 * 0.85, 9);
  });

  it("warm-ups and traced trials do not set a plain block's cost", () => {
    // warm-ups and tracing take 5 s a trial, plain trials 1 s: after 15 s of warm-ups and an 18 s tracing block
    // (3 untraced trials of 1 s, 3 traced of 5 s), a plain block costs 3 s, not the 15 s of every cell's median trial
    const slow = (t: ScheduledTrial) => (t.warmup || t.traced ? 5000 : 1000);
    const plainBlocks = (deadlineMs: number) => {
      const r = drive({ deadlineMs, warmup: 1, tracedBlocks: 1 }, slow);
      return new Set(r.taken.filter((t) => !t.warmup && !t.traced && t.block > 0).map((t) => t.block)).size;
    };
    expect(plainBlocks(15_000 + 18_000 + 3_000)).toBe(1);
    expect(plainBlocks(15_000 + 18_000 + 21_000)).toBe(7);
  });

  it('a tracing block that fits the budget exactly still traces; with one millisecond less the block is plain', () => {
    // a first tracing block of 6 s (3 cells untraced, 3 traced, 1 s each); at 6 s another costs exactly 6 s
    const tracedIn = (deadlineMs: number) => {
      const r = drive({ deadlineMs, tracedBlocks: 2 }, () => 1000);
      return r.taken.filter((t) => t.block === 1).map((t) => t.traced);
    };
    expect(tracedIn(12_000)).toHaveLength(6);
    expect(tracedIn(12_000).filter(Boolean)).toHaveLength(3);
    // 5.999 s left: no room for tracing, but a plain block of 3 s fits
    expect(tracedIn(11_999)).toEqual([false, false, false]);
  });

  it('once it has stopped it hands out nothing more, however often asked', () => {
    const r = drive({ deadlineMs: 7_000 }, (t) => (t.block === 1 ? 40_000 : 1000));
    expect(r.planner.status().stopped).toBe('the budget is spent');
    const progress = r.planner.progress;
    for (let i = 0; i < 3; i++) expect(r.planner.next()).toBeUndefined();
    expect(r.planner.progress).toEqual(progress);
  });

  it('stops after the most blocks, and says so', () => {
    const r = drive({ deadlineMs: Infinity, maxBlocks: 4 }, () => 1000);
    expect(r.blocks).toBe(4);
    expect(r.planner.status().stopped).toBe('the most trials (4) were taken');
    expect(r.planner.progress).toEqual({ done: 12, total: 12 });
  });

  it('cuts a block short once the run is more than 30 s past its budget, never the first block', () => {
    // the first block always runs whatever it costs; the second starts in time, then its trials slow to 40 s each
    const first = drive({ deadlineMs: 1 }, () => 40_000);
    expect(first.taken).toHaveLength(3);
    const r = drive({ deadlineMs: 7_000 }, (t) => (t.block === 1 ? 40_000 : 1000));
    expect(r.taken.filter((t) => t.block === 1)).toHaveLength(1);
    expect(r.planner.status().stopped).toBe('the budget is spent');
    // 30 s past it exactly is not yet more than 30 s
    const edge = drive({ deadlineMs: 7_000 }, (t) => (t.block === 1 ? 33_000 : 1000));
    expect(edge.taken.filter((t) => t.block === 1)).toHaveLength(2);
  });

  it('progress counts the trials handed out against those planned; the time left is the budget left', () => {
    let clock = 0;
    const planner = adaptivePlanner(cells, { specs: specs(), seed: 3, warmup: 0, tracedBlocks: 0, maxBlocks: 10, durationS: 1, deadlineMs: 20_000, now: () => clock });
    const t = planner.next()!;
    expect(planner.progress).toEqual({ done: 1, total: 1 + 2 + 3 });
    clock = 1500;
    planner.record(record(t, 1500));
    expect(planner.status().etaS).toBeCloseTo(18.5, 9);
    clock = 25_000;
    expect(planner.status().etaS).toBe(0);
  });
});
