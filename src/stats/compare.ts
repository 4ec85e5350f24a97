/**
 * Paired comparison of two topologies (or two runs) on one metric: an exact sign-flip
 * permutation test on the per-block log ratios, the median ratio with an order-statistic
 * confidence interval as the effect size, and a verdict that says "inconclusive" when
 * the noise hides the answer. Pure functions.
 */
import type { Better } from '../workloads/registry.js';
import { type Rng, seededRng } from './rng.js';
import { cov, median, medianCI } from './summary.js';

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

/**
 * Improvement of a over b given the ratio a/b and which direction is better: +0.12 is
 * 12% faster (higher-better) or 12% lower (lower-better: 1 - ratio, never above 100%).
 */
export function improvement(ratio: number, better: Better): number {
  return better === 'higher' ? ratio - 1 : 1 - ratio;
}

export function verdict(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>, better: Better, opts: VerdictOptions = {}): Verdict {
  const alpha = opts.alpha ?? 0.05;
  const eq = opts.equivalence ?? 0.05;
  const noisy = opts.noisyCov ?? 0.1;
  const t = pairedTest(a, b);
  if (!t) return { kind: 'inconclusive', effect: NaN, effectLow: NaN, effectHigh: NaN, p: 1, n: 0, reason: 'no paired trials: both sides must succeed in the same block' };
  const e = improvement(t.ratio, better);
  const [lo, hi] = [improvement(t.ratioLow, better), improvement(t.ratioHigh, better)].sort((x, y) => x - y) as [number, number];
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
