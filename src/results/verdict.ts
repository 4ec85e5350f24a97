/**
 * The verdict rule for paired comparisons (a macvlan mode against an alternative, or a
 * topology against host), made for a run that looks after every block:
 *
 * - each comparison has a time-uniform confidence sequence for the centre of its per-block
 *   log ratios, valid however often it is looked at: by default the robust one (a bet on
 *   their Huber location, stats/robust.ts, at two thirds of the level, intersected with
 *   the t-mixture sequence on their mean, stats/sequential.ts, at the third left), or the
 *   mean's alone;
 * - the family of comparisons made at once is corrected with the e-BY rule: with R of m
 *   comparisons decided, every interval is reported at level 1 − αR/m, which bounds the
 *   false coverage rate (the expected share of decided verdicts whose interval misses)
 *   at α under any dependence between comparisons;
 * - "better"/"worse" when that interval excludes no change and the effect lies beyond the
 *   ±5% margin; "same" when the interval lies inside the margin; otherwise
 *   "inconclusive", with the reason and, from 3 pairs on, about how many pairs would
 *   decide it at its spread so far (pairsToDecide; the adaptive planner stops measuring
 *   a comparison that its budget cannot decide). See docs/methodology.md.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { firstN, sequenceFromMoments, tThreshold } from '../stats/sequential.js';
import { growthRate, huberLocation, projectedLogWealth, robustInterval, wealthProfile } from '../stats/robust.js';
import { cov } from '../stats/summary.js';
import { type Better, improvement, improvementInterval } from '../workloads/metrics.js';

export type VerdictKind = 'better' | 'worse' | 'same' | 'inconclusive';

export interface Verdict {
  readonly kind: VerdictKind;
  /** signed improvement of a over b in the metric's good direction: +0.12 = 12% better */
  readonly effect: number;
  readonly effectLow: number;
  readonly effectHigh: number;
  /** the coverage of [effectLow, effectHigh]: 1 − αR/m */
  readonly level: number;
  /** evidence against "no difference" (20 means odds of 20 to 1 against chance): the mean's e-value, or with the robust estimator the larger of its two sequences', each times its share of α (past 1/α exactly when either excludes no change at its share) */
  readonly e: number;
  readonly n: number;
  readonly reason: string;
  /** an undecided comparison: about how many paired trials in all would decide it at its spread so far (pairsToDecide) */
  readonly pairsToDecide?: number;
  /** the ±margin this comparison was judged with */
  readonly margin: number;
}

/**
 * How a comparison's interval is made: 'robust' (the default), the betting confidence
 * sequence on the Huber location of the log ratios (stats/robust.ts), in which a glitching
 * trial far from the others pays nothing and any other moves the evidence by a bounded
 * factor, beside the t-mixture sequence (BET_SHARE); 'mean', the Gaussian-mixture t confidence sequence on their mean
 * (stats/sequential.ts), as verdicts were made before. docs/methodology.md, "Robust verdicts".
 */
export type Estimator = 'robust' | 'mean';
export const ESTIMATORS: readonly Estimator[] = ['robust', 'mean'];
export const DEFAULT_ESTIMATOR: Estimator = 'robust';

export interface VerdictOptions {
  /** how each comparison's interval is made (default 'robust') */
  readonly estimator?: Estimator;
  /** the family's error rate: false coverage rate of the decided verdicts */
  readonly alpha?: number;
  /** the ±margin of "no difference", and the least effect that counts as better or worse */
  readonly margin?: number;
  /** CoV above which an inconclusive result is blamed on noise */
  readonly noisyCov?: number;
}

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_MARGIN = 0.05;

/** One comparison's data: a's and b's figures keyed by block, and which direction is better. */
export interface PairedSample {
  readonly a: ReadonlyMap<number, number>;
  readonly b: ReadonlyMap<number, number>;
  readonly better: Better;
  /** the metric's ±margin (workloads/metrics.ts); the family's option, or ±5%, when absent */
  readonly margin?: number;
}

/** log(a/b) for every block where both sides measured a positive figure, in block order (the robust sequence bets on them in the order they came). */
export function pairedLogRatios(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number[] {
  const d: [number, number][] = [];
  for (const [block, va] of a) {
    const vb = b.get(block);
    if (vb !== undefined && va > 0 && vb > 0) d.push([block, Math.log(va / vb)]);
  }
  return d.sort((x, y) => x[0] - y[0]).map((x) => x[1]);
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** The verdict rule on an interval [low, high] of the log ratio's centre (mean or Huber location) around `mean`. */
function decide(mean: number, low: number, high: number, better: Better, margin: number): 'better' | 'worse' | 'same' | 'small' | 'wide' {
  const effect = improvement(Math.exp(mean), better);
  const [lo, hi] = improvementInterval(Math.exp(low), Math.exp(high), better);
  const excludesZero = low > 0 || high < 0;
  if (excludesZero && Math.abs(effect) > margin) return effect > 0 ? 'better' : 'worse';
  if (lo >= -margin && hi <= margin) return 'same';
  return excludesZero ? 'small' : 'wide';
}

/**
 * The robust estimator's split of α: the betting sequence is tested at BET_SHARE·α and the
 * t-mixture sequence at the rest, so that the intersection's error is at most α. The bet
 * takes the larger share because it is the one a glitch cannot undo; the t sequence's
 * third is for the few pairs of a large effect, which a bounded bet cannot decide
 * (docs/methodology.md, "Robust verdicts").
 */
export const BET_SHARE = 2 / 3;
/** Paired trials this many or more are not worth projecting: far beyond any budget. */
export const PAIRS_CAP = 2000;

/** The log ratios at the edges of ±margin: an improvement within ±margin is a log ratio within [ln(1 − margin), ln(1 + margin)]. */
export function marginEdges(margin: number): readonly [number, number] {
  return [Math.log(1 - margin), Math.log(1 + margin)];
}

/**
 * Roughly how many paired trials in all would decide a comparison if its mean and spread
 * stayed as measured so far: the smallest n at which an interval of the width the
 * procedure gives n pairs of that spread would be decided. Infinity when not even
 * PAIRS_CAP would (the effect sits at the margin); NaN with fewer than three pairs (no
 * spread to project from). An estimate: the spread of a few pairs is itself uncertain.
 * With the robust estimator the projection is of the same bets: how fast each would grow
 * if the pairs went on falling as they have, so a glitch moves it as little as it moves
 * the interval.
 */
export function pairsToDecide(d: readonly number[], alpha: number, better: Better, margin = DEFAULT_MARGIN, estimator: Estimator = DEFAULT_ESTIMATOR): number {
  if (d.length < 3) return NaN;
  if (estimator === 'robust') return Math.min(bettingPairsToDecide(d, alpha * BET_SHARE, better, margin), meanPairsToDecide(d, alpha * (1 - BET_SHARE), better, margin));
  return meanPairsToDecide(d, alpha, better, margin);
}

/** pairsToDecide for the t-mixture sequence on the mean alone. */
function meanPairsToDecide(d: readonly number[], alpha: number, better: Better, margin: number): number {
  const m = mean([...d]);
  const s = sampleStandardDeviation([...d]);
  const decidedAt = (n: number): boolean => {
    const r = (tThreshold(n, alpha) * s) / Math.sqrt(n);
    if (!Number.isFinite(r)) return false;
    const k = decide(m, m - r, m + r, better, margin);
    return k !== 'small' && k !== 'wide';
  };
  // the interval narrows as n grows, so "decided at n" switches once
  return firstN(d.length, PAIRS_CAP, decidedAt);
}

/** pairsToDecide for the Huber betting sequence alone: how fast each bet would grow if the pairs went on falling as they have. */
function bettingPairsToDecide(d: readonly number[], alpha: number, better: Better, margin: number): number {
  const effect = improvement(Math.exp(huberLocation(d)), better);
  const t = Math.log(1 / alpha);
  const [xl, xh] = marginEdges(margin);
  const g0 = Math.abs(effect) > margin ? growthRate(d, 0) : 0;
  const gl = growthRate(d, xl);
  const gh = growthRate(d, xh);
  const decidedAt = (n: number): boolean => projectedLogWealth(g0, n) >= t || (projectedLogWealth(gl, n) >= t && projectedLogWealth(gh, n) >= t);
  return firstN(d.length, PAIRS_CAP, decidedAt);
}

/** One comparison's log ratios, ready to give its interval at any level (the robust profile is computed once). */
interface Estimate {
  readonly d: readonly number[];
  /** the point estimate of the log ratio: the mean, or the Huber location */
  readonly center: number;
  /** the interval and e-value at level 1 − alpha; `refine` false: the ends only as exact as deciding needs */
  interval(alpha: number, refine?: boolean): { low: number; high: number; e: number };
}

function estimate(d: readonly number[], margin: number, estimator: Estimator): Estimate {
  const n = d.length;
  const m = n ? mean([...d]) : NaN;
  const sd = n >= 2 ? sampleStandardDeviation([...d]) : NaN;
  const tInterval = (alpha: number) => (n < 2 ? { low: -Infinity, high: Infinity, e: 1 } : sequenceFromMoments(n, m, sd, alpha));
  if (estimator === 'mean') return { d, center: m, interval: tInterval };
  // robust: the Huber betting sequence at BET_SHARE of the level and the t-mixture sequence at the rest, intersected
  const profile = wealthProfile(d, marginEdges(margin));
  return {
    d,
    center: profile.center,
    interval: (alpha, refine = true) => {
      const r = robustInterval(profile, alpha * BET_SHARE, refine);
      const t = tInterval(alpha * (1 - BET_SHARE));
      const low = Math.max(r.low, t.low);
      const high = Math.min(r.high, t.high);
      // the evidence against no change, on the scale of 1/alpha: the larger of the two bets' (the robust bet's largest so far, as it is tested), each times its share, so that it is past 1/alpha exactly when either sequence, at its share of the level, excludes no change
      const e = Math.max(r.eMax * BET_SHARE, t.e * (1 - BET_SHARE));
      // two sequences that do not meet disagree about the centre: their hull, not an empty interval, is what is shown
      return low <= high ? { low, high, e } : { low: Math.min(r.low, t.low), high: Math.max(r.high, t.high), e };
    },
  };
}

/** Whether an estimate is decided at level 1 − alpha (verdictAt's rule, without its words). */
function decidedAt(x: Estimate, alpha: number, better: Better, margin: number): boolean {
  if (x.d.length === 0) return false;
  const cs = x.interval(alpha, false);
  if (!Number.isFinite(cs.low) || !Number.isFinite(cs.high)) return false;
  const k = decide(x.center, cs.low, cs.high, better, margin);
  return k !== 'small' && k !== 'wide';
}

/** One comparison's verdict with its interval at level 1 − alpha. */
export function verdictAt(s: PairedSample, alpha: number, opts: VerdictOptions = {}, given?: Estimate): Verdict {
  const margin = s.margin ?? opts.margin ?? DEFAULT_MARGIN;
  const estimator = opts.estimator ?? DEFAULT_ESTIMATOR;
  const x = given ?? estimate(pairedLogRatios(s.a, s.b), margin, estimator);
  const d = x.d;
  const cs = d.length ? x.interval(alpha) : { low: -Infinity, high: Infinity, e: 1 };
  const effect = d.length ? improvement(Math.exp(x.center), s.better) : NaN;
  const [lo, hi] = improvementInterval(Math.exp(cs.low), Math.exp(cs.high), s.better);
  const base = { effect, effectLow: lo, effectHigh: hi, level: 1 - alpha, e: cs.e, n: d.length, margin };
  const m = `±${Math.round(margin * 100)}%`;
  if (d.length === 0) return { ...base, kind: 'inconclusive', reason: 'no paired trials: both sides must succeed in the same block' };
  const needed = pairsToDecide(d, alpha, s.better, margin, estimator);
  const outlook = Number.isNaN(needed) ? '' : needed === Infinity ? `; at this spread not even ${PAIRS_CAP} paired trials would decide it: the effect (${pct(effect)}) sits at the ${m} margin` : `; at this spread about ${needed} paired trials in all would decide it`;
  const undecided = { ...base, kind: 'inconclusive' as const, pairsToDecide: needed };
  if (!Number.isFinite(cs.low) || !Number.isFinite(cs.high)) return { ...undecided, reason: `${d.length} paired trials are too few to bound the difference at this level${outlook}` };
  const kind = decide(x.center, cs.low, cs.high, s.better, margin);
  if (kind === 'better' || kind === 'worse') return { ...base, kind, reason: `interval excludes no change and the effect is beyond ${m}, over ${d.length} paired trials` };
  if (kind === 'same') return { ...base, kind: 'same', reason: `the interval lies within ${m}, over ${d.length} paired trials` };
  if (kind === 'small') return { ...undecided, reason: `a real but small difference: the interval [${pct(lo)}, ${pct(hi)}] excludes no change but reaches inside ${m}${outlook}` };
  const spread = Math.max(cov([...s.a.values()]), cov([...s.b.values()]));
  const noise = Number.isFinite(spread) && spread > (opts.noisyCov ?? 0.1) ? `too noisy (CoV ${Math.round(spread * 100)}%): ` : '';
  return { ...undecided, reason: `${noise}the interval [${pct(lo)}, ${pct(hi)}] is too wide to decide within ${m}${outlook}` };
}

export interface FamilyVerdicts {
  readonly verdicts: Verdict[];
  /** the per-comparison level used: α·R/m (α/m when nothing is decided) */
  readonly alpha: number;
  readonly decided: number;
  /** how the intervals were made */
  readonly estimator: Estimator;
}

/**
 * Verdicts for a family of comparisons made at once (e-BY): the largest R such that at
 * least R comparisons are decided at level 1 − αR/m; every interval is then reported at
 * that level.
 */
export function familyVerdicts(samples: readonly PairedSample[], opts: VerdictOptions = {}): FamilyVerdicts {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const estimator = opts.estimator ?? DEFAULT_ESTIMATOR;
  const m = samples.length;
  // each sample's estimate once; at each level only whether it is decided, the full verdicts at the level chosen
  const estimates = samples.map((s) => ({ s, margin: s.margin ?? opts.margin ?? DEFAULT_MARGIN, x: estimate(pairedLogRatios(s.a, s.b), s.margin ?? opts.margin ?? DEFAULT_MARGIN, estimator) }));
  const count = (level: number) => estimates.filter((e) => decidedAt(e.x, level, e.s.better, e.margin)).length;
  const at = (level: number): FamilyVerdicts => {
    const verdicts = estimates.map((e) => verdictAt(e.s, level, opts, e.x));
    return { verdicts, alpha: level, decided: verdicts.filter((v) => v.kind !== 'inconclusive').length, estimator };
  };
  for (let r = m; r >= 1; r--) {
    const level = (alpha * r) / m;
    if (count(level) >= r) return at(level);
  }
  return at(m ? alpha / m : alpha);
}
