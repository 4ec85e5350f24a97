/**
 * Summaries of trial samples: median with an exact order-statistic confidence interval,
 * coefficient of variation, and the paired ratio to host. Pure functions.
 */
import { mean, median as ssMedian, sampleStandardDeviation } from 'simple-statistics';

export interface Interval {
  readonly low: number;
  readonly high: number;
  /** the coverage actually achieved (order statistics give discrete levels) */
  readonly level: number;
}

export function median(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : ssMedian([...xs]);
}

/** P(B <= k) for B ~ Binomial(n, 1/2) */
export function binomHalfCdf(k: number, n: number): number {
  if (k < 0) return 0;
  let sum = 0;
  let c = 1; // C(n, 0)
  for (let i = 0; i <= Math.min(k, n); i++) {
    sum += c;
    c = (c * (n - i)) / (i + 1);
  }
  return sum / 2 ** n;
}

/**
 * Distribution-free CI for the median: [x_(k), x_(n-k+1)] with the largest k whose
 * coverage is still at least `level`. With fewer than 6 samples no pair reaches 95%;
 * the widest interval (min, max) is returned with its real, lower coverage.
 */
export function medianCI(xs: readonly number[], level = 0.95): Interval {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { low: NaN, high: NaN, level: 0 };
  if (n === 1) return { low: s[0]!, high: s[0]!, level: 0 };
  let k = 1;
  for (let cand = 1; cand <= Math.floor(n / 2); cand++) {
    const coverage = 1 - 2 * binomHalfCdf(cand - 1, n);
    if (coverage >= level) k = cand;
    else break;
  }
  return { low: s[k - 1]!, high: s[n - k]!, level: 1 - 2 * binomHalfCdf(k - 1, n) };
}

/** Coefficient of variation (sample SD / mean); NaN with fewer than two samples. */
export function cov(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean([...xs]);
  return m === 0 ? NaN : sampleStandardDeviation([...xs]) / Math.abs(m);
}

export interface SampleSummary {
  readonly n: number;
  readonly median: number;
  readonly ci: Interval;
  readonly cov: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(xs: readonly number[]): SampleSummary {
  return {
    n: xs.length,
    median: median(xs),
    ci: medianCI(xs),
    cov: cov(xs),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

/** Ratios of paired samples (same block), skipping blocks where either side is missing. */
export function pairedRatios(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number[] {
  const out: number[] = [];
  for (const [block, va] of a) {
    const vb = b.get(block);
    if (vb !== undefined && vb !== 0 && Number.isFinite(va) && Number.isFinite(vb)) out.push(va / vb);
  }
  return out;
}

/**
 * The Hodges–Lehmann estimate (the median of the Walsh averages (x_i + x_j)/2, i ≤ j) with
 * the Wilcoxon signed-rank confidence interval [W_(c), W_(N+1−c)] of those averages, c
 * from the exact null distribution of the signed-rank statistic: valid for values
 * symmetric about their centre, and one far-off value moves it by one rank, not by its
 * size. null with fewer than 6 values (no interval reaches 95% before).
 */
export function hodgesLehmann(xs: readonly number[], level = 0.95): (Interval & { readonly center: number }) | null {
  const n = xs.length;
  if (n < 6) return null;
  const walsh: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) walsh.push((xs[i]! + xs[j]!) / 2);
  walsh.sort((a, b) => a - b);
  const big = walsh.length;
  // P(W+ = s) under the null, built up one rank at a time (halved at each step, so it never overflows)
  let p = [1];
  for (let k = 1; k <= n; k++) {
    const next = new Array<number>(p.length + k).fill(0);
    for (let s = 0; s < p.length; s++) {
      next[s]! += p[s]! / 2;
      next[s + k]! += p[s]! / 2;
    }
    p = next;
  }
  // the largest c with P(W+ ≤ c − 1) ≤ (1 − level)/2
  const tail = (1 - level) / 2;
  let cdf = 0;
  let c = 0;
  while (c < p.length && cdf + p[c]! <= tail) cdf += p[c++]!;
  if (c < 1) return null;
  return { center: median(walsh), low: walsh[c - 1]!, high: walsh[big - c]!, level: 1 - 2 * cdf };
}
