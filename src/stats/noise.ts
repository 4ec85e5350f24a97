/**
 * A machine's noise, from one series of short measurements taken back to back (e.g. a
 * throughput every 100 ms): how far apart two measurements of the same thing fall as a
 * function of how long each lasts and how much time lies between them, and from that
 * how many pairs a verdict within a margin would need under a given trial design.
 * Pure; `bench doctor --noise` feeds it (docs/methodology.md, "Trial design").
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { firstN, tThreshold } from './sequential.js';

export interface SpreadCell {
  /** seconds each of the two measurements lasts */
  readonly lengthS: number;
  /** seconds from the start of one to the start of the other */
  readonly gapS: number;
  /** standard deviation of log(second / first): the spread of a pair's log ratio */
  readonly spread: number;
  /** how many such pairs the series held */
  readonly pairs: number;
}

/** The mean of `values[i .. i+k)`, for every i. */
function windows(values: readonly number[], k: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= k) sum -= values[i - k]!;
    if (i >= k - 1) out.push(sum / k);
  }
  return out;
}

/**
 * Spread of the log ratio between two measurements of `lengthS` whose starts are `gapS`
 * apart, from a series of positive figures taken every `stepS` seconds. Each measurement
 * is the mean figure over its window (a trial's average rate). NaN where the series is
 * too short for 3 pairs.
 */
export function pairSpread(series: readonly number[], stepS: number, lengthS: number, gapS: number): SpreadCell {
  const k = Math.max(1, Math.round(lengthS / stepS));
  const g = Math.max(1, Math.round(gapS / stepS));
  const w = windows(series, k);
  const d: number[] = [];
  for (let i = 0; i + g < w.length; i++) if (w[i]! > 0 && w[i + g]! > 0) d.push(Math.log(w[i + g]! / w[i]!));
  return { lengthS: k * stepS, gapS: g * stepS, spread: d.length >= 3 ? sampleStandardDeviation(d) : NaN, pairs: d.length };
}

/** The table: every trial length against every gap of at least that length. */
export function spreadTable(series: readonly number[], stepS: number, lengthsS: readonly number[], gapsS: readonly number[]): SpreadCell[] {
  return lengthsS.flatMap((l) => gapsS.filter((g) => g + 1e-9 >= l).map((g) => pairSpread(series, stepS, l, g)));
}

/**
 * Allan deviation of the series at averaging time `tauS`: the spread of the difference
 * between consecutive non-overlapping means, over √2, relative to the mean. It rises with
 * tau where the machine drifts between levels: longer trials then do not help.
 */
export function allanDeviation(series: readonly number[], stepS: number, tauS: number): number {
  const k = Math.max(1, Math.round(tauS / stepS));
  const means: number[] = [];
  for (let i = 0; i + k <= series.length; i += k) means.push(mean(series.slice(i, i + k)));
  if (means.length < 3) return NaN;
  let sum = 0;
  for (let i = 1; i < means.length; i++) sum += (means[i]! - means[i - 1]!) ** 2;
  return Math.sqrt(sum / (2 * (means.length - 1))) / mean(series);
}

/**
 * Pairs of trials a comparison of two equal things would need before its anytime-valid
 * interval (level 1 − alpha) lay within ±margin, at a pair spread `spread`: the smallest
 * n with threshold(n) × spread / √n ≤ log(1 + margin). Infinity beyond `cap`.
 */
export function pairsForMargin(spread: number, margin: number, alpha: number, cap = 5000): number {
  if (!(spread > 0)) return Number.isNaN(spread) ? NaN : 3;
  const target = Math.log(1 + margin);
  return firstN(2, cap, (n) => (tThreshold(n, alpha) * spread) / Math.sqrt(n) <= target);
}
