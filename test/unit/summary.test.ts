import { describe, expect, it } from 'vitest';
import { binomHalfCdf, cov, median, medianCI, pairedRatios, summarize } from '../../src/stats/summary.js';

describe('summary statistics', () => {
  it('binomial CDF at p=1/2 matches hand values', () => {
    expect(binomHalfCdf(0, 5)).toBeCloseTo(1 / 32, 12);
    expect(binomHalfCdf(1, 10)).toBeCloseTo(11 / 1024, 12);
    expect(binomHalfCdf(10, 10)).toBeCloseTo(1, 12);
  });
  it('median CI from order statistics: n=10 gives x(2)..x(9) at 97.9%', () => {
    const xs = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    const ci = medianCI(xs);
    expect([ci.low, ci.high]).toEqual([2, 9]);
    expect(ci.level).toBeCloseTo(1 - 2 * (11 / 1024), 10);
    expect(median(xs)).toBe(5.5);
  });
  it('small samples: min..max with the coverage they really have', () => {
    const ci = medianCI([3, 1, 2]);
    expect([ci.low, ci.high]).toEqual([1, 3]);
    expect(ci.level).toBeCloseTo(0.75, 12);
  });
  it('n=6 is the first to reach 95% (96.9%)', () => {
    expect(medianCI([1, 2, 3, 4, 5, 6]).level).toBeCloseTo(1 - 2 / 64, 12);
  });
  it('coefficient of variation', () => {
    expect(cov([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935 / 5, 8);
    expect(cov([1])).toBeNaN();
  });
  it('pairs ratios by block, skipping missing partners', () => {
    const a = new Map([[0, 10], [1, 12], [2, 9]]);
    const b = new Map([[0, 5], [2, 3]]);
    expect(pairedRatios(a, b)).toEqual([2, 3]);
  });
  it('summarizes', () => {
    expect(summarize([4, 1, 3])).toMatchObject({ n: 3, median: 3, min: 1, max: 4 });
  });
});
