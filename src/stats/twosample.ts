/**
 * Two runs compared (baseline vs current): their trials are not paired, so the test is
 * a two-sample permutation test on log values (exact when small, seeded Monte Carlo
 * otherwise) and the effect is the ratio of medians with a seeded bootstrap interval.
 */
import { type Rng, seededRng, shuffleInPlace } from './rng.js';
import { median } from './summary.js';

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Two-sided p-value for a difference in means of a and b. */
export function permutationTest(a: readonly number[], b: readonly number[], rng: Rng = seededRng(7)): number {
  const all = [...a, ...b];
  const n = a.length;
  const total = all.reduce((s, x) => s + x, 0);
  const stat = (sumA: number) => Math.abs(sumA / n - (total - sumA) / b.length);
  const observed = stat(a.reduce((s, x) => s + x, 0));
  const eps = 1e-12 * Math.max(1, observed);
  if (n === 0 || b.length === 0) return 1;
  if (choose(all.length, n) <= 50_000) {
    let extreme = 0;
    let count = 0;
    const walk = (start: number, left: number, sum: number) => {
      if (left === 0) {
        count++;
        if (stat(sum) >= observed - eps) extreme++;
        return;
      }
      for (let i = start; i <= all.length - left; i++) walk(i + 1, left - 1, sum + all[i]!);
    };
    walk(0, n, 0);
    return extreme / count;
  }
  const draws = 20_000;
  let extreme = 1;
  const idx = all.map((_, i) => i);
  for (let d = 0; d < draws; d++) {
    shuffleInPlace(idx, rng);
    let s = 0;
    for (let i = 0; i < n; i++) s += all[idx[i]!]!;
    if (stat(s) >= observed - eps) extreme++;
  }
  return extreme / (draws + 1);
}

/** The mid-ranks of a and b in their pooled sample (ties share the mean of their ranks). */
export function midRanks(a: readonly number[], b: readonly number[]): { a: number[]; b: number[] } {
  const all = [...a, ...b].map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const rank = new Array<number>(all.length);
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) rank[all[k]!.i] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return { a: rank.slice(0, a.length), b: rank.slice(a.length) };
}

/**
 * Two-sided p-value of the Wilcoxon–Mann–Whitney rank-sum test, by permutation of the
 * mid-ranks (exact when small): a trial's rank moves by at most the sample's size
 * whatever its value, so one glitch sways it little where it drags a mean.
 */
export function rankPermutationTest(a: readonly number[], b: readonly number[], rng: Rng = seededRng(7)): number {
  const r = midRanks(a, b);
  return permutationTest(r.a, r.b, rng);
}

/** Percentile bootstrap interval for median(b) / median(a). */
export function ratioOfMediansCI(a: readonly number[], b: readonly number[], level = 0.95, resamples = 2000, rng: Rng = seededRng(11)): { ratio: number; low: number; high: number } {
  const ratio = median(b) / median(a);
  const draw = (xs: readonly number[]) => Array.from({ length: xs.length }, () => xs[Math.floor(rng() * xs.length)]!);
  const rs: number[] = [];
  for (let i = 0; i < resamples; i++) rs.push(median(draw(b)) / median(draw(a)));
  rs.sort((x, y) => x - y);
  const lo = rs[Math.floor(((1 - level) / 2) * resamples)]!;
  const hi = rs[Math.min(resamples - 1, Math.ceil((1 - (1 - level) / 2) * resamples) - 1)]!;
  return { ratio, low: lo, high: hi };
}
