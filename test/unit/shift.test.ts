/**
 * Level shifts inside a lane's block (results/shift.ts): a trial far from both its
 * neighbours, and the trials before a step of the lane's level, are marked; differences
 * between topologies, a block wholly at another level, and lanes without history are not.
 */
import { describe, expect, it } from 'vitest';
import { laneNoise, levelShifts, SHIFT_REASON, shiftSummary } from '../../src/results/shift.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { summaryTable } from '../../src/report/terminal.js';
import { markShifted } from '../../src/run/plan.js';
import { shiftRule } from '../../src/run/plan.js';
import type { TrialRecord } from '../../src/results/types.js';
import { syntheticResults, trial } from '../support/synthetic.js';

const RATES: Record<string, number> = { host: 10_000, nat: 8_000, bridge: 9_000, 'macvlan-bridge': 12_000, 'macvlan-vepa': 11_000 };
const ORDER = Object.keys(RATES);
// a small, fixed wobble per position, so that the lane's noise is about 1-2%
const WOBBLE = [0.01, -0.012, 0.004, -0.006, 0.015];

/** Blocks 0..n-1 of the lane, each topology once in ORDER, at level 0 with the wobble; indexes in running order. */
function history(n: number): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (let b = 0; b < n; b++) ORDER.forEach((t, i) => out.push(trial(t, b, RATES[t]! * Math.exp(WOBBLE[(i + b) % WOBBLE.length]!), { index: out.length })));
  return out;
}

/** Block `b`, the trials at these log levels, in ORDER. */
function block(b: number, levels: readonly number[], from: number): TrialRecord[] {
  return ORDER.map((t, i) => trial(t, b, RATES[t]! * Math.exp(levels[i]!), { index: from + i }));
}

const LANE = { workload: 'tcp-rr', path: 'c1-peer' } as const;
const marked = (trials: readonly TrialRecord[], b: number) => [...levelShifts(trials, { ...LANE, block: b }).keys()].map((i) => trials.find((t) => t.index === i)!.topology);

describe('level shifts in a lane’s block', () => {
  it('knows the lane’s noise only after enough neighbouring trials with history', () => {
    expect(laneNoise(history(2), { ...LANE, block: 1 })).toBeUndefined();
    const noise = laneNoise(history(4), { ...LANE, block: 3 })!;
    expect(noise).toBeGreaterThan(0.005);
    expect(noise).toBeLessThan(0.03);
  });

  it('marks a trial far from both neighbours, which agree, and says by how much', () => {
    const h = history(4);
    const trials = [...h, ...block(4, [0, 0, -0.35, 0, 0], h.length)];
    expect(marked(trials, 4)).toEqual(['bridge']);
    const why = levelShifts(trials, { ...LANE, block: 4 }).get(h.length + 2)!;
    expect(why.startsWith(SHIFT_REASON)).toBe(true);
    expect(why).toContain('-30%');
  });

  it('marks the trials before a step of the level (the re-runs go to the level the machine is at now)', () => {
    const h = history(4);
    expect(marked([...h, ...block(4, [0, 0, 0.3, 0.3, 0.3], h.length)], 4)).toEqual(['host', 'nat']);
    expect(marked([...h, ...block(4, [0.3, 0.3, 0.3, 0, 0], h.length)], 4)).toEqual(['host', 'nat', 'bridge']);
  });

  it('marks nothing for differences between topologies, a block wholly at another level, or noise', () => {
    const h = history(4);
    expect(marked([...h, ...block(4, [0, 0, 0, 0, 0], h.length)], 4)).toEqual([]);
    expect(marked([...h, ...block(4, [0.3, 0.3, 0.3, 0.3, 0.3], h.length)], 4)).toEqual([]);
    expect(marked([...h, ...block(4, [0.02, -0.02, 0.03, -0.01, 0], h.length)], 4)).toEqual([]);
  });

  it('marks the first trial alone when the level moved after it, and the last alone when it is off', () => {
    const h = history(4);
    expect(marked([...h, ...block(4, [0.35, 0, 0, 0, 0], h.length)], 4)).toEqual(['host']);
    // a glitch or a step at the very end: no later neighbour tells which, and one re-run settles both
    expect(marked([...h, ...block(4, [0, 0, 0, 0, 0.35], h.length)], 4)).toEqual(['macvlan-vepa']);
    expect(levelShifts([...h, ...block(4, [0, 0, 0, 0, 0.35], h.length)], { ...LANE, block: 4 }).get(h.length + 4)).toMatch(/: \+4[0-3]% against the trials before it \(noise [12]%\): re-run$/);
  });

  it('marks nothing before the cells have history: their residuals mean nothing yet', () => {
    const h = history(1);
    expect(marked([...h, ...block(1, [0, 0, -0.5, 0, 0], h.length)], 1)).toEqual([]);
  });

  it('leaves out trials that do not count (a busy one) from the series', () => {
    const h = history(4);
    const b = block(4, [0, 0, -0.35, 0, 0], h.length).map((t) => (t.topology === 'bridge' ? { ...t, contaminated: 'busy' } : t));
    expect(marked([...h, ...b], 4)).toEqual([]);
  });
});

describe('the planners’ level-shift rule', () => {
  it('checks a lane’s block once, when it has run, and never a tracing block', () => {
    const h = history(4);
    const b = block(4, [0, 0, -0.35, 0, 0], h.length);
    const trials = [...h, ...b];
    const last = b[b.length - 1]!;
    const rule = shiftRule();
    expect(rule(trials, last, false, false).size).toBe(0); // the lane still has trials to come
    expect(rule(trials, last, true, true).size).toBe(0); // a tracing block
    expect([...rule(trials, last, true, false).keys()]).toEqual([h.length + 2]);
    expect(rule(trials, last, true, false).size).toBe(0); // checked once: its re-runs are kept as they come
    expect(rule(trials, { ...last, warmup: true }, true, false).size).toBe(0);
  });
});

describe('the run’s account of level shifts', () => {
  it('counts the shifted trials by topology in the terminal summary and the Markdown, and says nothing when none', () => {
    const h = history(4);
    const trials = [...h, ...block(4, [0.3, 0.3, 0.3, 0, 0], h.length)];
    expect(shiftSummary(trials)).toBeNull();
    markShifted(trials, levelShifts(trials, { ...LANE, block: 4 }));
    const text = shiftSummary(trials)!;
    expect(text).toBe(`3 of 25 trials spanned a change of the machine's level within their lane's block: left out of the statistics and re-run in the block (bridge 1, host 1, nat 1; docs/methodology.md, "Trial design")`);
    const results = syntheticResults(trials);
    expect(summaryTable(results)).toContain(text);
    expect(renderMarkdown(results)).toContain(text);
    expect(renderMarkdown(syntheticResults(h))).not.toContain('spanned a change');
  });
});
