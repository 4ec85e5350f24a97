/**
 * Paired comparison of two samples matched by block: an exact sign-flip permutation test
 * on the per-block log ratios, and the median ratio with an order-statistic confidence
 * interval as the effect size. Pure functions.
 */
import { type Rng, seededRng } from './rng.js';
import { median, medianCI } from './summary.js';

export interface PairedTest {
  readonly n: number;
  /** two-sided p-value */
  readonly p: number;
  /** median of a/b over the pairs */
  readonly ratio: number;
  readonly ratioLow: number;
  readonly ratioHigh: number;
  readonly ciLevel: number;
  /** the smallest p-value n pairs can ever give */
  readonly minP: number;
}

/** Exact two-sided sign-flip test on the mean of d (Monte Carlo beyond 16 pairs, seeded). */
export function signFlipTest(d: readonly number[], rng: Rng = seededRng(1)): { p: number; minP: number } {
  const n = d.length;
  if (n === 0) return { p: 1, minP: 1 };
  const observed = Math.abs(d.reduce((s, x) => s + x, 0));
  const eps = 1e-12 * Math.max(1, observed);
  if (n <= 16) {
    let extreme = 0;
    const total = 2 ** n;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += mask & (1 << i) ? -d[i]! : d[i]!;
      if (Math.abs(s) >= observed - eps) extreme++;
    }
    return { p: extreme / total, minP: 2 / total };
  }
  const draws = 20_000;
  let extreme = 1;
  for (let k = 0; k < draws; k++) {
    let s = 0;
    for (const x of d) s += rng() < 0.5 ? -x : x;
    if (Math.abs(s) >= observed - eps) extreme++;
  }
  return { p: extreme / (draws + 1), minP: 1 / (draws + 1) };
}

/** Pair a and b by block; test log(a/b). */
export function pairedTest(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): PairedTest | undefined {
  const ratios: number[] = [];
  for (const [block, va] of a) {
    const vb = b.get(block);
    if (vb === undefined || !(va > 0) || !(vb > 0)) continue;
    ratios.push(va / vb);
  }
  if (ratios.length === 0) return undefined;
  const { p, minP } = signFlipTest(ratios.map(Math.log));
  const ci = medianCI(ratios);
  return { n: ratios.length, p, ratio: median(ratios), ratioLow: ci.low, ratioHigh: ci.high, ciLevel: ci.level, minP };
}
