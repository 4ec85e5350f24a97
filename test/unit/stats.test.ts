/**
 * The statistics at their edges, worked by hand: the two-sample permutation test (exact
 * and Monte Carlo), the bootstrap interval of a ratio of medians, Student's quantile
 * beyond its table, and the summaries of empty, constant and zero-mean samples.
 */
import { describe, expect, it } from 'vitest';
import { seededRng, shuffle } from '../../src/stats/rng.js';
import { studentT975 } from '../../src/stats/student.js';
import { cov, medianCI, pairedRatios, summarize } from '../../src/stats/summary.js';
import { permutationTest, ratioOfMediansCI } from '../../src/stats/twosample.js';

describe('two-sample permutation test', () => {
  it('exact: of the 20 ways to split 1..6 in threes, only the two sorted splits are as far apart as 1,2,3 against 4,5,6', () => {
    expect(permutationTest([1, 2, 3], [4, 5, 6])).toBeCloseTo(2 / 20, 12);
    expect(permutationTest([4, 5, 6], [1, 2, 3])).toBeCloseTo(2 / 20, 12);
    // 1,2,4 against 3,5,6: |7/3 − 14/3| is reached by 1,2,3 | 1,2,4 and their mirrors: 4 of 20
    expect(permutationTest([1, 2, 4], [3, 5, 6])).toBeCloseTo(4 / 20, 12);
    // unequal sizes: 1 against 2,3,4 — only 1 or 4 alone are that far from the rest
    expect(permutationTest([1], [2, 3, 4])).toBeCloseTo(2 / 4, 12);
  });

  it('ties and identical samples are no evidence at all (p = 1); an empty side is no test', () => {
    expect(permutationTest([5, 5], [5, 5])).toBe(1);
    expect(permutationTest([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(permutationTest([], [1, 2])).toBe(1);
    expect(permutationTest([1, 2], [])).toBe(1);
  });

  it('Monte Carlo beyond 50,000 splits: a clear shift gives the smallest p the draws allow, the same values give p = 1, and the seed fixes p', () => {
    const rng = seededRng(3);
    const a = Array.from({ length: 20 }, () => 10 + rng());
    const b = a.map((x) => x + 5);
    expect(permutationTest(a, b)).toBeCloseTo(1 / 20_001, 12);
    // the same values in another order: every split is at least as far apart as no difference
    expect(permutationTest(a, shuffle(a, seededRng(5)))).toBe(1);
    const mixed = shuffle([...a, ...b], seededRng(4));
    const p = permutationTest(mixed.slice(0, 20), mixed.slice(20));
    expect(p).toBeGreaterThan(0.001);
    expect(permutationTest(mixed.slice(0, 20), mixed.slice(20), seededRng(7))).toBe(p);
    expect(permutationTest(mixed.slice(0, 20), mixed.slice(20), seededRng(8))).not.toBe(p);
  });

  it('Monte Carlo agrees with the exact count near the boundary (12 against 12 with a one-sigma shift)', () => {
    const rng = seededRng(9);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const a = Array.from({ length: 12 }, normal);
    const b = Array.from({ length: 12 }, () => normal() + 1);
    // C(24,12) = 2,704,156 splits: Monte Carlo; its p lies where a t-test's would, a few in a hundred or fewer
    const p = permutationTest(a, b);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(0.05);
  });
});

describe('bootstrap interval of a ratio of medians', () => {
  it('the ratio is median(b) / median(a); constant samples give an interval of that one value', () => {
    expect(ratioOfMediansCI([10, 10, 10], [9, 9, 9])).toEqual({ ratio: 0.9, low: 0.9, high: 0.9 });
    expect(ratioOfMediansCI([1, 2, 3, 100], [3, 4, 5, 6]).ratio).toBeCloseTo(4.5 / 2.5, 12);
  });

  it('covers the ratio, stays inside what resampling can reach, and widens with the level', () => {
    const a = [100, 101, 99, 102, 98, 100, 103, 97];
    const b = a.map((x, i) => x * (0.9 + (i % 3) * 0.02));
    const i95 = ratioOfMediansCI(a, b, 0.95);
    const i50 = ratioOfMediansCI(a, b, 0.5);
    expect(i95.low).toBeLessThanOrEqual(i95.ratio);
    expect(i95.high).toBeGreaterThanOrEqual(i95.ratio);
    expect(i95.low).toBeGreaterThanOrEqual(Math.min(...b) / Math.max(...a));
    expect(i95.high).toBeLessThanOrEqual(Math.max(...b) / Math.min(...a));
    expect(i50.low).toBeGreaterThan(i95.low);
    expect(i50.high).toBeLessThan(i95.high);
  });

  it('its ends sit at equal tails: for a symmetric sample the interval is symmetric about the ratio', () => {
    const b = Array.from({ length: 101 }, (_, i) => i + 1);
    for (const level of [0.5, 0.9]) {
      const ci = ratioOfMediansCI([1, 1, 1], b, level);
      expect(ci.ratio).toBe(51);
      expect(Math.abs(ci.ratio - ci.low - (ci.high - ci.ratio)), `level ${level}: ${ci.low}..${ci.high}`).toBeLessThanOrEqual(1);
    }
  });

  it('its ends are the resampled ratios at (1 − level)/2 and 1 − (1 − level)/2: at level 1 the least and the most', () => {
    // one value on each side but one: every resample's median ratio is one of a few values, so the ends are exact
    const a = [1, 1, 1];
    const b = [1, 2, 4];
    const all = ratioOfMediansCI(a, b, 1, 500, seededRng(1));
    expect(all.low).toBe(1);
    expect(all.high).toBe(4);
    const mid = ratioOfMediansCI(a, b, 0, 500, seededRng(1));
    expect(mid.low).toBe(mid.high);
  });
});

describe("Student's t", () => {
  it('the table to 30 degrees of freedom, the series beyond, and no quantile below one', () => {
    expect(studentT975(1)).toBe(12.706);
    expect(studentT975(2.9)).toBe(4.303);
    expect(studentT975(30)).toBe(2.042);
    // t(0.975, 40) = 2.0211, t(0.975, 120) = 1.9799: the series meets the tables to 4 decimals
    expect(studentT975(40)).toBeCloseTo(2.0211, 3);
    expect(studentT975(120)).toBeCloseTo(1.9799, 3);
    expect(studentT975(31)).toBeLessThan(2.042);
    expect(studentT975(1e9)).toBeCloseTo(1.959964, 6);
    expect(studentT975(0.5)).toBe(Infinity);
    expect(studentT975(Number.NaN)).toBe(Infinity);
  });
});

describe('summaries at their edges', () => {
  it('an empty sample has no median, interval, spread or range; one value is its own interval at no coverage', () => {
    const e = summarize([]);
    expect(e.n).toBe(0);
    expect(e.median).toBeNaN();
    expect(e.ci.low).toBeNaN();
    expect(e.ci.level).toBe(0);
    expect(e.min).toBeNaN();
    expect(e.max).toBeNaN();
    expect(e.cov).toBeNaN();
    expect(medianCI([7])).toEqual({ low: 7, high: 7, level: 0 });
  });

  it('the interval takes the widest order statistics that still cover 95%: x(6)..x(15) of 20, x(1)..x(5) of 5', () => {
    const xs = shuffle(Array.from({ length: 20 }, (_, i) => i + 1), seededRng(2));
    const ci = medianCI(xs);
    expect([ci.low, ci.high]).toEqual([6, 15]);
    expect(ci.level).toBeGreaterThanOrEqual(0.95);
    expect(medianCI(xs, 0.99).low).toBeLessThan(6);
    expect(medianCI(xs, 0.5).low).toBeGreaterThan(6);
    const five = medianCI([5, 4, 3, 2, 1]);
    expect([five.low, five.high]).toEqual([1, 5]);
    expect(five.level).toBeCloseTo(1 - 2 / 32, 12);
  });

  it('spread is relative to the size of the mean, whatever its sign; a zero mean has none', () => {
    expect(cov([-2, -4, -4, -4, -5, -5, -7, -9])).toBeCloseTo(cov([2, 4, 4, 4, 5, 5, 7, 9]), 12);
    expect(cov([-1, 1])).toBeNaN();
    expect(cov([3, 3, 3])).toBe(0);
  });

  it('pairs skip a zero or non-finite partner', () => {
    const a = new Map([[0, 10], [1, 12], [2, Number.NaN], [3, 8]]);
    const b = new Map([[0, 5], [1, 0], [2, 3], [3, Number.POSITIVE_INFINITY]]);
    expect(pairedRatios(a, b)).toEqual([2]);
  });
});
