/**
 * One comparison's verdict and a family's, at their edges: which blocks pair, the margin's
 * boundary (a difference at the margin is within it), what an undecided comparison says,
 * and which comparisons count towards the family's level.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALPHA, familyVerdicts, pairedLogRatios, pairsToDecide, verdictAt, type PairedSample } from '../../src/results/verdict.js';
import { cov } from '../../src/stats/summary.js';

/** a and b over blocks 0.. from two lists of figures */
const sample = (a: number[], b: number[], extra: Partial<PairedSample> = {}): PairedSample => ({ a: new Map(a.map((v, i) => [i, v])), b: new Map(b.map((v, i) => [i, v])), better: 'higher', ...extra });
/** n blocks where a is `ratio` times b, exactly */
const constant = (ratio: number, n = 4, extra: Partial<PairedSample> = {}) => sample(Array(n).fill(100 * ratio), Array(n).fill(100), extra);

describe('pairs of trials', () => {
  it('pairs only blocks where both sides measured a positive figure', () => {
    const a = new Map([[1, 2], [2, 4], [3, 0], [4, 5], [5, 3], [7, -1]]);
    const b = new Map([[1, 1], [2, 1], [3, 1], [4, 0], [6, 1], [7, 1]]);
    expect(pairedLogRatios(a, b)).toEqual([Math.log(2), Math.log(4)]);
  });

  it('no pair at all is inconclusive and says why', () => {
    const v = verdictAt({ a: new Map([[0, 1]]), b: new Map([[1, 1]]), better: 'higher' }, 0.05);
    expect(v.kind).toBe('inconclusive');
    expect(v.n).toBe(0);
    expect(v.reason).toBe('no paired trials: both sides must succeed in the same block');
  });
});

describe('the margin', () => {
  it('a difference exactly at the margin is within it; beyond it, better or worse', () => {
    expect(verdictAt(constant(1.5, 4, { margin: 0.5 }), 0.05).kind).toBe('same');
    expect(verdictAt(constant(0.5, 4, { margin: 0.5 }), 0.05).kind).toBe('same');
    const better = verdictAt(constant(2, 4, { margin: 0.5 }), 0.05);
    expect([better.kind, better.effect, better.effectLow, better.effectHigh]).toEqual(['better', 1, 1, 1]);
    expect(better.reason).toBe('interval excludes no change and the effect is beyond ±50%, over 4 paired trials');
    expect(verdictAt(constant(0.25, 4, { margin: 0.5 }), 0.05).kind).toBe('worse');
    // lower is better: the same ratio reads the other way
    expect(verdictAt(constant(0.25, 4, { margin: 0.5, better: 'lower' }), 0.05).kind).toBe('better');
    expect(verdictAt(constant(1.5, 4, { margin: 0.5, better: 'lower' }), 0.05).reason).toBe('the interval lies within ±50%, over 4 paired trials');
  });
});

describe('what an undecided comparison says', () => {
  it('a real but small difference: its interval excludes no change but reaches inside the margin, and the pairs it would take', () => {
    const d = [0.01, 0.07, 0.02, 0.06, 0.03, 0.05, 0.04, 0.045];
    const v = verdictAt(sample(d.map((x) => 100 * Math.exp(x)), d.map(() => 100)), 0.05);
    expect(v.kind).toBe('inconclusive');
    expect(v.effectLow).toBeGreaterThan(0);
    expect(v.effectHigh).toBeGreaterThan(0.05);
    expect(v.reason).toMatch(/^a real but small difference: the interval \[\+\d+\.\d%, \+\d+\.\d%\] excludes no change but reaches inside ±5%; at this spread about \d+ paired trials in all would decide it$/);
    expect(v.reason).toContain(`about ${v.pairsToDecide} paired trials`);
  });

  it('too wide: says how wide, and calls it too noisy only when a side varies more than the threshold, the noisier side counted', () => {
    const a = [70, 130, 100, 60, 140, 100];
    const b = [100, 101, 99, 100, 101, 99];
    const v = verdictAt(sample(a, b), 0.05);
    expect(v.kind).toBe('inconclusive');
    expect(v.reason).toMatch(new RegExp(`^too noisy \\(CoV ${Math.round(cov(a) * 100)}%\\): the interval \\[-\\d+\\.\\d%, \\+\\d+\\.\\d%\\] is too wide to decide within ±5%; at this spread not even 2000 paired trials would decide it: the effect \\(-\\d+\\.\\d%\\) sits at the ±5% margin$`));
    expect(verdictAt(sample(b, a), 0.05).reason).toMatch(/^too noisy \(CoV \d+%\)/);
    // at the threshold, not above it: not called noisy
    expect(verdictAt(sample(a, b), 0.05, { noisyCov: cov(a) }).reason).toMatch(/^the interval \[/);
  });

  it('an effect that sits at the margin: not even the cap of pairs would decide it', () => {
    const d = [0.1, -0.1, 0.1, -0.1, 0.1, -0.1];
    const v = verdictAt(sample(d.map((x) => 100 * Math.exp(x)), d.map(() => 100), { margin: 0 }), 0.05);
    expect(v.pairsToDecide).toBe(Infinity);
    expect(v.reason).toMatch(/; at this spread not even 2000 paired trials would decide it: the effect \(\+0\.0%\) sits at the ±0% margin$/);
  });

  it('pairs to decide: projected from three pairs on, not from two', () => {
    expect(pairsToDecide([0.1, 0.12], 0.05, 'higher')).toBeNaN();
    const n = pairsToDecide([0.1, 0.12, 0.11], 0.05, 'higher');
    expect(Number.isInteger(n)).toBe(true);
    expect(n).toBeGreaterThanOrEqual(3);
  });
});

describe('a family of comparisons', () => {
  it('its level counts only the comparisons decided: not those with too few pairs, not a small or wide one', () => {
    const small = [0.01, 0.07, 0.02, 0.06, 0.03, 0.05, 0.04, 0.045];
    const f = familyVerdicts([
      constant(2, 4),
      constant(0.5, 4),
      sample([100], [50]),
      sample(small.map((x) => 100 * Math.exp(x)), small.map(() => 100)),
      sample([70, 130, 100, 60, 140, 100], [100, 101, 99, 100, 101, 99]),
    ]);
    expect(f.verdicts.map((v) => v.kind)).toEqual(['better', 'worse', 'inconclusive', 'inconclusive', 'inconclusive']);
    expect(f.decided).toBe(2);
    expect(f.alpha).toBeCloseTo((DEFAULT_ALPHA * 2) / 5, 12);
  });

  it('two pairs alone decide nothing, even when they agree exactly', () => {
    const f = familyVerdicts([constant(2, 2), constant(2, 2)]);
    expect(f.decided).toBe(0);
    expect(f.alpha).toBeCloseTo(DEFAULT_ALPHA / 2, 12);
  });
});
