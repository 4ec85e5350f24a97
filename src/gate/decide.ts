/**
 * The gate's decision for one metric: current against baseline, both as samples of
 * trials. A regression is a change that is significant *and* beyond the threshold in
 * the bad direction; "undecided" is a change the noise cannot rule in or out.
 */
import { median } from '../stats/summary.js';
import { permutationTest, rankPermutationTest, ratioOfMediansCI } from '../stats/twosample.js';
import type { Estimator } from '../results/verdict.js';
import { type Better, improvement, improvementInterval } from '../workloads/metrics.js';

export type GateVerdict = 'regression' | 'improvement' | 'ok' | 'undecided';

export interface MetricDecision {
  readonly baselineMedian: number;
  readonly currentMedian: number;
  /** signed change in the metric's good direction: -0.12 = 12% worse */
  readonly change: number;
  readonly changeLow: number;
  readonly changeHigh: number;
  readonly p: number;
  readonly nBaseline: number;
  readonly nCurrent: number;
  readonly threshold: number;
  readonly verdict: GateVerdict;
  readonly reason: string;
  /** undecided, and the estimate itself is past the threshold in the bad direction: the gate fails safe on it (exit 3) unless told to be lenient */
  readonly suspect: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const usable = (xs: readonly number[]) => xs.filter((x) => x > 0 && Number.isFinite(x));

/**
 * The test and the point change: p of the permutation test, on the ranks (robust, the
 * default: the Wilcoxon–Mann–Whitney test, in which one glitching trial counts as one rank whatever its size) or on
 * the logs' means (mean), and the signed change of current's median over baseline's in
 * the good direction (-0.1: 10% slower, or latency 10% higher).
 */
function tested(a: readonly number[], b: readonly number[], better: Better, estimator: Estimator): { p: number; change: number } {
  const p = estimator === 'mean' ? permutationTest(a.map(Math.log), b.map(Math.log)) : rankPermutationTest(a, b);
  return { p, change: improvement(median(b) / median(a), better) };
}

/**
 * Whether decide() would call it a regression, without the bootstrap interval that only
 * the other verdicts need: for resampling the gate many times (gate/power.ts).
 */
export function isRegression(baseline: readonly number[], current: readonly number[], better: Better, threshold: number, alpha = 0.05, estimator: Estimator = 'robust'): boolean {
  const a = usable(baseline);
  const b = usable(current);
  if (a.length < 2 || b.length < 2) return false;
  const { p, change } = tested(a, b, better, estimator);
  return p < alpha && change < -threshold;
}

export function decide(baseline: readonly number[], current: readonly number[], better: Better, threshold: number, alpha = 0.05, estimator: Estimator = 'robust'): MetricDecision {
  const a = usable(baseline);
  const b = usable(current);
  const counts = { nBaseline: a.length, nCurrent: b.length, threshold };
  if (a.length < 2 || b.length < 2) {
    return { ...counts, baselineMedian: median(a), currentMedian: median(b), change: NaN, changeLow: NaN, changeHigh: NaN, p: 1, verdict: 'undecided', suspect: false, reason: `too few trials (${a.length} baseline, ${b.length} current; need 2 or more each)` };
  }
  const { p, change } = tested(a, b, better, estimator);
  const ci = ratioOfMediansCI(a, b);
  const [lo, hi] = improvementInterval(ci.low, ci.high, better);
  const d = { ...counts, baselineMedian: median(a), currentMedian: median(b), change, changeLow: lo, changeHigh: hi, p, suspect: false };
  if (p < alpha && change < -threshold) return { ...d, verdict: 'regression', reason: `${pct(-change)} worse (threshold ${pct(threshold)}), p=${p.toPrecision(2)}` };
  if (p < alpha && change > threshold) return { ...d, verdict: 'improvement', reason: `${pct(change)} better, p=${p.toPrecision(2)}` };
  if (lo < -threshold && p >= alpha) {
    if (change < -threshold) return { ...d, verdict: 'undecided', suspect: true, reason: `SUSPECT: the estimate is ${pct(-change)} worse, past the ${pct(threshold)} threshold, but not significant (p=${p.toPrecision(2)}, interval down to ${pct(lo)}): measure more trials` };
    return { ...d, verdict: 'undecided', reason: `a ${pct(threshold)} regression cannot be ruled out (interval down to ${pct(lo)}), p=${p.toPrecision(2)}: too noisy, run more trials` };
  }
  return { ...d, verdict: 'ok', reason: p < alpha ? `significant change of ${pct(change)}, within the ${pct(threshold)} threshold` : `no significant change (p=${p.toPrecision(2)})` };
}
