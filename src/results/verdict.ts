/**
 * The verdict rule for paired comparisons (a macvlan mode against an alternative, or a
 * topology against host), made for a run that looks after every block:
 *
 * - each comparison has a time-uniform confidence sequence for the mean per-block log
 *   ratio (stats/sequential.ts), valid however often it is looked at;
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
import { confidenceSequence, firstN, sequenceFromMoments, tThreshold } from '../stats/sequential.js';
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
  /** e-value against "no difference" (evidence: 20 means odds of 20 to 1 against chance) */
  readonly e: number;
  readonly n: number;
  readonly reason: string;
  /** an undecided comparison: about how many paired trials in all would decide it at its spread so far (pairsToDecide) */
  readonly pairsToDecide?: number;
  /** the ±margin this comparison was judged with */
  readonly margin: number;
}

export interface VerdictOptions {
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

/** log(a/b) for every block where both sides measured a positive figure. */
export function pairedLogRatios(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number[] {
  const d: number[] = [];
  for (const [block, va] of a) {
    const vb = b.get(block);
    if (vb !== undefined && va > 0 && vb > 0) d.push(Math.log(va / vb));
  }
  return d;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** The verdict rule on an interval [low, high] of the mean log ratio around `mean`. */
function decide(mean: number, low: number, high: number, better: Better, margin: number): 'better' | 'worse' | 'same' | 'small' | 'wide' {
  const effect = improvement(Math.exp(mean), better);
  const [lo, hi] = improvementInterval(Math.exp(low), Math.exp(high), better);
  const excludesZero = low > 0 || high < 0;
  if (excludesZero && Math.abs(effect) > margin) return effect > 0 ? 'better' : 'worse';
  if (lo >= -margin && hi <= margin) return 'same';
  return excludesZero ? 'small' : 'wide';
}

/** Paired trials this many or more are not worth projecting: far beyond any budget. */
export const PAIRS_CAP = 2000;

/**
 * Roughly how many paired trials in all would decide a comparison if its mean and spread
 * stayed as measured so far: the smallest n at which an interval of the width the
 * procedure gives n pairs of that spread would be decided. Infinity when not even
 * PAIRS_CAP would (the effect sits at the margin); NaN with fewer than three pairs (no
 * spread to project from). An estimate: the spread of a few pairs is itself uncertain.
 */
export function pairsToDecide(d: readonly number[], alpha: number, better: Better, margin = DEFAULT_MARGIN): number {
  if (d.length < 3) return NaN;
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

/** One comparison's verdict with its interval at level 1 − alpha. */
export function verdictAt(s: PairedSample, alpha: number, opts: VerdictOptions = {}): Verdict {
  const margin = s.margin ?? opts.margin ?? DEFAULT_MARGIN;
  const d = pairedLogRatios(s.a, s.b);
  const cs = confidenceSequence(d, alpha);
  const effect = d.length ? improvement(Math.exp(cs.mean), s.better) : NaN;
  const [lo, hi] = improvementInterval(Math.exp(cs.low), Math.exp(cs.high), s.better);
  const base = { effect, effectLow: lo, effectHigh: hi, level: 1 - alpha, e: cs.e, n: d.length, margin };
  const m = `±${Math.round(margin * 100)}%`;
  if (d.length === 0) return { ...base, kind: 'inconclusive', reason: 'no paired trials: both sides must succeed in the same block' };
  const needed = pairsToDecide(d, alpha, s.better, margin);
  const outlook = Number.isNaN(needed) ? '' : needed === Infinity ? `; at this spread not even ${PAIRS_CAP} paired trials would decide it: the effect (${pct(effect)}) sits at the ${m} margin` : `; at this spread about ${needed} paired trials in all would decide it`;
  const undecided = { ...base, kind: 'inconclusive' as const, pairsToDecide: needed };
  if (!Number.isFinite(cs.low) || !Number.isFinite(cs.high)) return { ...undecided, reason: `${d.length} paired trials are too few to bound the difference at this level${outlook}` };
  const kind = decide(cs.mean, cs.low, cs.high, s.better, margin);
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
}

/**
 * Verdicts for a family of comparisons made at once (e-BY): the largest R such that at
 * least R comparisons are decided at level 1 − αR/m; every interval is then reported at
 * that level.
 */
export function familyVerdicts(samples: readonly PairedSample[], opts: VerdictOptions = {}): FamilyVerdicts {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const m = samples.length;
  // each sample's log ratios and moments once; at each level only whether it is decided (verdictAt's rule), the full verdicts at the level chosen
  const moments = samples.map((s) => {
    const d = pairedLogRatios(s.a, s.b);
    return d.length < 2 ? undefined : { n: d.length, mean: mean(d), sd: sampleStandardDeviation(d), better: s.better, margin: s.margin ?? opts.margin ?? DEFAULT_MARGIN };
  });
  const decidedAt = (level: number) =>
    moments.filter((x) => {
      if (!x) return false;
      const cs = sequenceFromMoments(x.n, x.mean, x.sd, level);
      if (!Number.isFinite(cs.low) || !Number.isFinite(cs.high)) return false;
      const k = decide(cs.mean, cs.low, cs.high, x.better, x.margin);
      return k !== 'small' && k !== 'wide';
    }).length;
  for (let r = m; r >= 1; r--) {
    const level = (alpha * r) / m;
    if (decidedAt(level) >= r) {
      const verdicts = samples.map((s) => verdictAt(s, level, opts));
      return { verdicts, alpha: level, decided: verdicts.filter((v) => v.kind !== 'inconclusive').length };
    }
  }
  const level = m ? alpha / m : alpha;
  return { verdicts: samples.map((s) => verdictAt(s, level, opts)), alpha: level, decided: 0 };
}
