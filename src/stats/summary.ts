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
