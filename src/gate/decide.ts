/**
 * The gate's decision for one metric: current against baseline, both as samples of
 * trials. A regression is a change that is significant *and* beyond the threshold in
 * the bad direction; "undecided" is a change the noise cannot rule in or out.
 */
import { median } from '../stats/summary.js';
import { permutationTest, ratioOfMediansCI } from '../stats/twosample.js';
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
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function decide(baseline: readonly number[], current: readonly number[], better: Better, threshold: number, alpha = 0.05): MetricDecision {
  const a = baseline.filter((x) => x > 0 && Number.isFinite(x));
  const b = current.filter((x) => x > 0 && Number.isFinite(x));
  const counts = { nBaseline: a.length, nCurrent: b.length, threshold };
  if (a.length < 2 || b.length < 2) {
    return { ...counts, baselineMedian: median(a), currentMedian: median(b), change: NaN, changeLow: NaN, changeHigh: NaN, p: 1, verdict: 'undecided', reason: `too few trials (${a.length} baseline, ${b.length} current; need 2 or more each)` };
  }
  const ci = ratioOfMediansCI(a, b);
  const p = permutationTest(a.map(Math.log), b.map(Math.log));
  // signed change of current over baseline in the good direction (-0.1: 10% slower, or latency 10% higher)
  const change = improvement(ci.ratio, better);
  const [lo, hi] = improvementInterval(ci.low, ci.high, better);
  const d = { ...counts, baselineMedian: median(a), currentMedian: median(b), change, changeLow: lo, changeHigh: hi, p };
  if (p < alpha && change < -threshold) return { ...d, verdict: 'regression', reason: `${pct(-change)} worse (threshold ${pct(threshold)}), p=${p.toPrecision(2)}` };
  if (p < alpha && change > threshold) return { ...d, verdict: 'improvement', reason: `${pct(change)} better, p=${p.toPrecision(2)}` };
  if (lo < -threshold && p >= alpha) return { ...d, verdict: 'undecided', reason: `a ${pct(threshold)} regression cannot be ruled out (interval down to ${pct(lo)}), p=${p.toPrecision(2)}: too noisy, run more trials` };
  return { ...d, verdict: 'ok', reason: p < alpha ? `significant change of ${pct(change)}, within the ${pct(threshold)} threshold` : `no significant change (p=${p.toPrecision(2)})` };
}
