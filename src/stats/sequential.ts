/**
 * Anytime-valid inference on the mean of paired differences (here: per-block log ratios),
 * so that a run may look after every block and stop when the answer is known without
 * inflating its error rate. Pure functions; docs/methodology.md explains the procedure.
 *
 * The evidence is the scale-invariant Gaussian-mixture t-test e-process (a Bayes factor
 * with a N(0, g) prior on the standardized effect μ/σ and the right-Haar prior on σ).
 * Under the null mean μ0 it is a nonnegative supermartingale in the data's maximal
 * invariant, so by Ville's inequality P(ever ≥ 1/α) ≤ α: it can be watched continuously.
 * Inverting it at every μ0 gives a time-uniform confidence sequence: with probability
 * 1 − α it covers the true mean at every sample size at once.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';

/** Prior variance of the standardized effect; 4 favours the large effects topologies differ by. */
export const MIXTURE_G = 4;

/** The e-value against "mean = mu0" after n paired differences with t statistic t. */
export function tMixtureE(t: number, n: number, g = MIXTURE_G): number {
  if (n < 2) return 1;
  const nu = n - 1;
  const c = 1 + n * g;
  const x = (t * t) / nu;
  return Math.exp(-0.5 * Math.log(c) + ((nu + 1) / 2) * (Math.log1p(x) - Math.log1p(x / c)));
}

/** The smallest |t| at which the e-value reaches 1/alpha, or Infinity when n is too small to ever reach it. */
export function tThreshold(n: number, alpha: number, g = MIXTURE_G): number {
  if (n < 2) return Infinity;
  const nu = n - 1;
  const c = 1 + n * g;
  const r = Math.exp((2 / (nu + 1)) * (0.5 * Math.log(c) - Math.log(alpha)));
  if (r >= c) return Infinity;
  return Math.sqrt(((r - 1) / (1 - r / c)) * nu);
}

/**
 * The smallest n in [from, cap] at which `holds(n)` is true, for a property that stays
 * true once it holds (an interval that narrows as n grows); Infinity when not even `cap`.
 */
export function firstN(from: number, cap: number, holds: (n: number) => boolean): number {
  if (holds(from)) return from;
  if (!holds(cap)) return Infinity;
  let lo = from;
  let hi = cap;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (holds(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface SequenceInterval {
  readonly n: number;
  readonly mean: number;
  /** the confidence sequence at the requested level: [mean - radius, mean + radius] */
  readonly low: number;
  readonly high: number;
  /** e-value against a mean of zero */
  readonly e: number;
}

/** The (1 - alpha) time-uniform confidence sequence for the mean of d, evaluated at d's length. */
export function confidenceSequence(d: readonly number[], alpha: number, g = MIXTURE_G): SequenceInterval {
  const n = d.length;
  if (n < 2) return { n, mean: n ? d[0]! : NaN, low: -Infinity, high: Infinity, e: 1 };
  return sequenceFromMoments(n, mean([...d]), sampleStandardDeviation([...d]), alpha, g);
}

/** The same interval from the sample's size, mean and standard deviation (n ≥ 2): for evaluating one sample at many levels. */
export function sequenceFromMoments(n: number, m: number, s: number, alpha: number, g = MIXTURE_G): SequenceInterval {
  const se = s / Math.sqrt(n);
  if (!(se > 0)) {
    // every difference identical: nothing is uncertain once there are a few of them
    return n >= 3 ? { n, mean: m, low: m, high: m, e: m === 0 ? 1 : Infinity } : { n, mean: m, low: -Infinity, high: Infinity, e: 1 };
  }
  const radius = tThreshold(n, alpha, g) * se;
  return { n, mean: m, low: m - radius, high: m + radius, e: tMixtureE(m / se, n, g) };
}
