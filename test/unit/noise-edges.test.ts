/**
 * The noise profile's arithmetic and the anytime-valid interval at their edges, worked by
 * hand on series small enough to check on paper: which windows are averaged, which pairs
 * a gap makes, where a series is too short, the Allan deviation of a known series, and
 * what the interval says with two pairs, with identical pairs and with none.
 */
import { describe, expect, it } from 'vitest';
import { allanDeviation, pairSpread, pairsForMargin, spreadTable } from '../../src/stats/noise.js';
import { confidenceSequence, tMixtureE, tThreshold } from '../../src/stats/sequential.js';

const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe('a pair spread, by hand', () => {
  it('averages windows of the trial length and pairs windows a gap apart, every one of them', () => {
    // steps of 1 s; 2 s windows: means 1.5, 2.5, 3.5, 4.5, 5.5; a gap of 2 pairs (1.5, 3.5), (2.5, 4.5), (3.5, 5.5)
    const c = pairSpread([1, 2, 3, 4, 5, 6], 1, 2, 2);
    expect(c).toEqual({ lengthS: 2, gapS: 2, pairs: 3, spread: sd([Math.log(3.5 / 1.5), Math.log(4.5 / 2.5), Math.log(5.5 / 3.5)]) });
    // one-step windows a step apart: five pairs
    const d = pairSpread([1, 2, 4, 8, 16, 32], 1, 1, 1);
    expect(d.pairs).toBe(5);
    expect(d.spread).toBe(0);
  });

  it('a window or gap shorter than a step counts as one step; pairs with a non-positive window are skipped', () => {
    expect(pairSpread([1, 2, 3, 4], 1, 0.2, 0.2)).toMatchObject({ lengthS: 1, gapS: 1, pairs: 3 });
    // pairs (1, 0), (0, 2), (2, 4), (4, 8): the two with the zero are left out
    expect(pairSpread([1, 0, 2, 4, 8], 1, 1, 1).pairs).toBe(2);
  });

  it('fewer than three pairs give no spread, and exactly three do', () => {
    expect(pairSpread([1, 2, 3], 1, 1, 1)).toMatchObject({ pairs: 2, spread: NaN });
    expect(pairSpread([1, 2, 3, 5], 1, 1, 1).pairs).toBe(3);
    expect(Number.isFinite(pairSpread([1, 2, 3, 5], 1, 1, 1).spread)).toBe(true);
  });

  it('the table pairs each trial length with every gap at least that long, the gap equal to it included', () => {
    const t = spreadTable([1, 2, 3, 4, 5, 6, 7, 8], 1, [1, 2], [1, 2, 4]);
    expect(t.map((c) => [c.lengthS, c.gapS])).toEqual([[1, 1], [1, 2], [1, 4], [2, 2], [2, 4]]);
  });
});

describe('the Allan deviation, by hand', () => {
  it('consecutive means of whole windows only, over √2, relative to the mean; under three windows, none', () => {
    // windows of 2: means 2, 4, 2 (the last value, alone, is no window); differences 2, -2
    const series = [1, 3, 5, 3, 1, 3, 100];
    const expected = Math.sqrt((4 + 4) / (2 * 2)) / (series.reduce((a, b) => a + b, 0) / series.length);
    expect(allanDeviation(series, 1, 2)).toBeCloseTo(expected, 12);
    expect(allanDeviation([1, 3, 5, 3], 1, 2)).toBeNaN();
    expect(allanDeviation([5, 5, 5, 5, 5, 5], 1, 2)).toBe(0);
  });
});

describe('pairs for a margin', () => {
  it('is the smallest n whose radius fits inside the margin, the radius exactly at it included', () => {
    const n = pairsForMargin(0.1, 0.05, 0.05);
    const fits = (k: number) => (tThreshold(k, 0.05) * 0.1) / Math.sqrt(k) <= Math.log(1.05);
    expect(fits(n)).toBe(true);
    expect(fits(n - 1)).toBe(false);
    // no spread at all: three pairs; an unknown spread: unknown
    expect(pairsForMargin(0, 0.05, 0.05)).toBe(3);
    expect(pairsForMargin(NaN, 0.05, 0.05)).toBeNaN();
    expect(pairsForMargin(5, 0.05, 0.05, 100)).toBe(Infinity);
  });
});

describe('the anytime-valid interval at its edges', () => {
  it('one pair bounds nothing; two pairs have a finite e-value but an unbounded interval at 95%', () => {
    expect(confidenceSequence([0.1], 0.05)).toEqual({ n: 1, mean: 0.1, low: -Infinity, high: Infinity, e: 1 });
    expect(confidenceSequence([], 0.05).mean).toBeNaN();
    expect(tMixtureE(3, 1)).toBe(1);
    expect(tThreshold(1, 0.05)).toBe(Infinity);
    // with two pairs the e-value moves with the evidence, but cannot reach 20
    expect(tMixtureE(10, 2)).toBeGreaterThan(1);
    expect(tMixtureE(1e6, 2)).toBeLessThan(20);
    expect(tThreshold(2, 0.05)).toBe(Infinity);
  });

  // values a binary fraction holds exactly, so that their spread is exactly zero
  it('identical pairs: from three on the interval is the point itself, evidence infinite unless the point is zero', () => {
    expect(confidenceSequence([0.25, 0.25, 0.25], 0.05)).toEqual({ n: 3, mean: 0.25, low: 0.25, high: 0.25, e: Infinity });
    expect(confidenceSequence([0, 0, 0], 0.05)).toEqual({ n: 3, mean: 0, low: 0, high: 0, e: 1 });
    expect(confidenceSequence([0.25, 0.25], 0.05)).toEqual({ n: 2, mean: 0.25, low: -Infinity, high: Infinity, e: 1 });
  });

  it('the threshold is where the e-value crosses 1/alpha, and a sample too small to reach it has none', () => {
    for (const n of [4, 8, 30]) expect(tMixtureE(tThreshold(n, 0.05), n)).toBeCloseTo(20, 6);
    // the smallest n at which 1/alpha is reachable at all: below it, no |t| would do
    const reachable = (n: number) => Number.isFinite(tThreshold(n, 0.01));
    const first = [2, 3, 4, 5, 6].find(reachable)!;
    expect(reachable(first - 1)).toBe(false);
    expect(tMixtureE(1e9, first - 1)).toBeLessThan(100);
  });
});
