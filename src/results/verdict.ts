/**
 * The verdict rule for one paired comparison (a macvlan mode against an alternative, or a
 * topology against host): better or worse when the paired test is significant and the
 * effect's interval excludes zero, "no difference" when the interval lies inside the
 * equivalence margin, otherwise "inconclusive" with the reason. See docs/methodology.md.
 */
import { pairedTest } from '../stats/compare.js';
import { cov } from '../stats/summary.js';
import { type Better, improvement, improvementInterval } from '../workloads/metrics.js';

export type VerdictKind = 'better' | 'worse' | 'same' | 'inconclusive';

export interface Verdict {
  readonly kind: VerdictKind;
  /** signed improvement of a over b in the metric's good direction: +0.12 = 12% better */
  readonly effect: number;
  readonly effectLow: number;
  readonly effectHigh: number;
  readonly p: number;
  readonly n: number;
  readonly reason: string;
}

export interface VerdictOptions {
  readonly alpha?: number;
  /** |effect| within this, with a CI inside it too, counts as "no significant difference" */
  readonly equivalence?: number;
  /** CoV above which an inconclusive result is blamed on noise */
  readonly noisyCov?: number;
}

export function verdict(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>, better: Better, opts: VerdictOptions = {}): Verdict {
  const alpha = opts.alpha ?? 0.05;
  const eq = opts.equivalence ?? 0.05;
  const noisy = opts.noisyCov ?? 0.1;
  const t = pairedTest(a, b);
  if (!t) return { kind: 'inconclusive', effect: NaN, effectLow: NaN, effectHigh: NaN, p: 1, n: 0, reason: 'no paired trials: both sides must succeed in the same block' };
  const e = improvement(t.ratio, better);
  const [lo, hi] = improvementInterval(t.ratioLow, t.ratioHigh, better);
  const base = { effect: e, effectLow: lo, effectHigh: hi, p: t.p, n: t.n };
  if (t.p < alpha && (lo > 0 || hi < 0)) {
    return { ...base, kind: e > 0 ? 'better' : 'worse', reason: `p=${t.p.toPrecision(2)} over ${t.n} paired trials` };
  }
  if (t.minP >= alpha) {
    return { ...base, kind: 'inconclusive', reason: `${t.n} paired trials cannot reach p<${alpha} (best possible p=${t.minP.toPrecision(2)}); run at least 6 trials` };
  }
  if (Math.abs(e) <= eq && lo >= -eq && hi <= eq) {
    return { ...base, kind: 'same', reason: `p=${t.p.toPrecision(2)}; the difference is within ±${Math.round(eq * 100)}%` };
  }
  const spread = Math.max(cov([...a.values()]), cov([...b.values()]));
  const noise = Number.isFinite(spread) && spread > noisy ? `too noisy (CoV ${Math.round(spread * 100)}%)` : `the interval [${pct(lo)}, ${pct(hi)}] is too wide`;
  return { ...base, kind: 'inconclusive', reason: `${noise}, p=${t.p.toPrecision(2)}; run more trials` };
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}
