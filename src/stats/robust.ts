/**
 * A robust, anytime-valid confidence sequence for the centre of paired differences (here:
 * per-block log ratios), in which one arbitrary trial moves the evidence by a bounded factor. Pure
 * functions; docs/methodology.md ("Robust verdicts") explains the choice and the replays.
 *
 * The test of "the centre is θ" is a bet. Before pair i is seen, a scale s_i is taken
 * from the pairs before it (their median absolute deviation), their median m_i, and a stake
 * λ_i in [−c, c] from how the earlier pairs fell about θ. Pair i then pays
 *
 *     1 + λ_i · ψ_i(d_i − θ),   ψ_i(x) = max(−1, min(1, x / (k · s_i)))  if |x| ≤ |m_i − θ| + R · s_i,
 *                                       0                               beyond
 *
 * a Huber score inside a window: linear near θ, so it weighs ordinary pairs by how far
 * they lie, capped at ±1, and zero for a pair farther from θ than the earlier pairs' median
 * is, by more than R scales. The window follows the pairs: for a θ far below them it
 * reaches as far above θ as they do, so every ordinary pair still counts, while a glitch
 * on the far side of θ (a trial at a third of its neighbours' rate) falls outside it and
 * pays nothing either way. Until WINDOW_FROM pairs there is no window (the median and
 * scale of a few pairs are too unsure to call one an outlier): there one glitch moves the
 * wealth by a factor between 1 − c and 1 + c and no more.
 *
 * ψ_i is odd about θ, and s_i, m_i and λ_i depend only on earlier pairs. So when the pairs
 * are symmetric about θ given the past (the model of the paired design, whose two sides
 * swap order from block to block), each payment has mean 1 whatever the stake, scale and
 * window, the wealth K_t(θ) is a nonnegative martingale and, by Ville's inequality,
 * P(sup_t K_t(θ) ≥ 1/α) ≤ α. The set of θ not yet rejected at any look is a (1 − α)
 * confidence sequence for the centre, valid however often it is looked at; it is
 * intersected over time (a θ once rejected stays rejected).
 *
 * The stake is the growth-rate-adaptive bet of Waudby-Smith and Ramdas (aGRAPA): the
 * running mean of the earlier scores over their mean square, shrunk towards no bet while
 * there are few of them. The point estimate is the Huber M-estimate of location.
 */

/** Huber's tuning of the point estimate: pairs within this many (MAD-based) scales of it count in full. */
export const HUBER_K = 1.5;
/** The bet's tuning: scores are linear within this many scales of θ, ±1 beyond. */
export const SCORE_K = 1;
/** The window's reach: a pair farther from θ than the earlier pairs' median, by more than this many scales, pays nothing. */
export const WINDOW_REACH = 6;
/** The window applies from this many earlier pairs on. */
export const WINDOW_FROM = 8;
/** The largest stake: a glitch against the bet costs at most a factor 1 − STAKE_CAP of the wealth. */
export const STAKE_CAP = 0.8;
/** Pseudo-observations of "no effect" that the stake is shrunk with. */
const PRIOR_WEIGHT = 1;
/** The consistent MAD of a normal sample: 1.4826 × the median absolute deviation. */
const MAD_NORMAL = 1.4826;
/** A scale floor, in log units (0.01%): identical pairs still give finite scores. */
const SCALE_FLOOR = 1e-4;

function sortedMedian(s: readonly number[]): number {
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** The MAD-based scale of xs (1.4826 × median |x − median|), floored. */
export function madScale(xs: readonly number[]): number {
  if (xs.length < 2) return SCALE_FLOOR;
  const s = [...xs].sort((a, b) => a - b);
  const m = sortedMedian(s);
  const dev = s.map((x) => Math.abs(x - m)).sort((a, b) => a - b);
  return Math.max(SCALE_FLOOR, MAD_NORMAL * sortedMedian(dev));
}

/**
 * The predictable scales: scales[i] is taken from d[0..i-1] only (NaN before two pairs:
 * no stake is placed on the first two).
 */
export function predictableScales(d: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < d.length; i++) out.push(i < 2 ? NaN : madScale(d.slice(0, i)));
  return out;
}

/** The predictable centres: centres[i] is the median of d[0..i-1] (NaN before two pairs). */
export function predictableCentres(d: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < d.length; i++) out.push(i < 2 ? NaN : sortedMedian(d.slice(0, i).sort((a, b) => a - b)));
  return out;
}

const clip1 = (x: number) => (x > 1 ? 1 : x < -1 ? -1 : x);

/**
 * A pair's score against θ: Huber's clipped score with scale s, or 0 when the pair lies
 * farther from θ than `centre` does by more than `reach` scales (no window: reach Infinity).
 * Odd in d − θ for fixed centre and scale.
 */
export function windowedScore(d: number, theta: number, s: number, centre: number, reach: number, k = SCORE_K): number {
  const x = d - theta;
  if (Math.abs(x) > Math.abs(centre - theta) + reach * s) return 0;
  return clip1(x / (k * s));
}

/** The earlier pairs each pair is scored with: their scales and medians. Computed once per sample (they do not depend on θ). */
export interface Predictable {
  readonly scales: readonly number[];
  readonly centres: readonly number[];
}

export function predictable(d: readonly number[]): Predictable {
  return { scales: predictableScales(d), centres: predictableCentres(d) };
}

/**
 * The log of the largest wealth so far, max over t ≤ n of log K_t(θ), betting that the
 * centre is not θ. `pre` must be predictable(d) (passed in: it does not depend on θ).
 */
export function logWealth(d: readonly number[], pre: Predictable, theta: number, k = SCORE_K, cap = STAKE_CAP): { max: number; last: number } {
  const { scales, centres } = pre;
  let sum = 0;
  let sumSq = 0;
  let seen = 0;
  let log = 0;
  let max = 0;
  for (let i = 0; i < d.length; i++) {
    const s = scales[i]!;
    if (!(s > 0)) continue;
    const psi = windowedScore(d[i]!, theta, s, centres[i]!, i >= WINDOW_FROM ? WINDOW_REACH : Infinity, k);
    // the stake from the earlier scores only, shrunk towards 0 by PRIOR_WEIGHT pseudo-scores of 0 with mean square 1
    const m = sum / (seen + PRIOR_WEIGHT);
    const v = (sumSq + PRIOR_WEIGHT) / (seen + PRIOR_WEIGHT);
    const lambda = Math.max(-cap, Math.min(cap, m / v));
    log += Math.log1p(lambda * psi);
    if (log > max) max = log;
    sum += psi;
    sumSq += psi * psi;
    seen++;
  }
  return { max, last: log };
}

/** Huber's M-estimate of location of xs with scale s (iteratively reweighted; the median when s is tiny). */
export function huberLocation(xs: readonly number[], s = madScale(xs), k = HUBER_K): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  let mu = sortedMedian(sorted);
  const c = k * s;
  for (let iter = 0; iter < 100; iter++) {
    let num = 0;
    let den = 0;
    for (const x of xs) {
      const r = x - mu;
      const w = Math.abs(r) <= c ? 1 : c / Math.abs(r);
      num += w * x;
      den += w;
    }
    const next = num / den;
    if (Math.abs(next - mu) < 1e-12 * Math.max(1, Math.abs(mu))) return next;
    mu = next;
  }
  return mu;
}

/**
 * One sample's wealth at the values of θ a verdict needs: a grid over where the
 * confidence sequence can end, and the points it is tested at (no change, the margins'
 * edges, the estimate), so that whether they are inside the sequence at any level is read
 * from the grid exactly. Computed once per sample; intervals at any level come from it.
 */
export interface WealthProfile {
  readonly n: number;
  /** the Huber location of the pairs */
  readonly center: number;
  /** ascending θ, and the largest log wealth so far at each */
  readonly theta: readonly number[];
  readonly logMax: readonly number[];
  /** a θ below, and one above, every pair (every score +1, or −1), and the largest log wealth so far at each */
  readonly below: number;
  readonly above: number;
  readonly belowAll: number;
  readonly aboveAll: number;
  /** log wealth now (not the maximum) against θ = 0: log of the e-value of "no difference" at this look */
  readonly logE: number;
  /** the largest log wealth so far against θ = 0 */
  readonly logEMax: number;
  /** evaluate the largest log wealth at any θ (for refining the interval's ends) */
  readonly at: (theta: number) => number;
}

/** The wealth profile of d, with `extra` values of θ (the margins' edges) tested exactly. */
export function wealthProfile(d: readonly number[], extra: readonly number[] = [], grid = 96): WealthProfile {
  const n = d.length;
  const pre = predictable(d);
  const { scales } = pre;
  const at = (theta: number) => logWealth(d, pre, theta).max;
  const center = huberLocation(d);
  if (n === 0) return { n, center, theta: [], logMax: [], below: -Infinity, above: Infinity, belowAll: 0, aboveAll: 0, logE: 0, logEMax: 0, at };
  const s = madScale(d);
  const usable = scales.filter((x) => x > 0);
  const reach = HUBER_K * (usable.length ? Math.max(...usable) : s);
  const lo = Math.min(...d) - reach;
  const hi = Math.max(...d) + reach;
  const pts = new Set<number>([0, center, ...extra]);
  // coarse over every θ where a score is not yet ±1 for all pairs, fine where the bulk of the pairs lie
  for (let i = 0; i <= grid / 3; i++) pts.add(lo + ((hi - lo) * i) / (grid / 3));
  const fLo = center - 6 * s;
  const fHi = center + 6 * s;
  for (let i = 0; i <= grid; i++) pts.add(fLo + ((fHi - fLo) * i) / grid);
  const theta = [...pts].filter(Number.isFinite).sort((a, b) => a - b);
  const zero = logWealth(d, pre, 0);
  return {
    n,
    center,
    theta,
    logMax: theta.map(at),
    below: lo - 1,
    above: hi + 1,
    belowAll: at(lo - 1),
    aboveAll: at(hi + 1),
    logE: zero.last,
    logEMax: zero.max,
    at,
  };
}

export interface RobustInterval {
  readonly n: number;
  readonly center: number;
  readonly low: number;
  readonly high: number;
  /** e-value against a centre of zero at this look */
  readonly e: number;
  /** the largest it has been (the running maximum, which Ville's inequality bounds as it bounds the e-value) */
  readonly eMax: number;
}

/**
 * The (1 − alpha) robust confidence sequence from a profile: the hull of the θ not
 * rejected (largest log wealth below log(1/alpha)). The grid decides which grid points
 * are in; with `refine`, the ends are bisected between grid points for the report.
 */
export function robustInterval(p: WealthProfile, alpha: number, refine = true): RobustInterval {
  const t = Math.log(1 / alpha);
  const e = Math.exp(p.logE);
  const eMax = Math.exp(p.logEMax);
  if (p.n < 3) return { n: p.n, center: p.center, low: -Infinity, high: Infinity, e, eMax };
  const inside: number[] = [];
  for (let i = 0; i < p.theta.length; i++) if (p.logMax[i]! < t) inside.push(i);
  // every θ rejected: the pairs fit no fixed centre (a drift the model does not have); the bet then bounds nothing
  if (inside.length === 0) return { n: p.n, center: p.center, low: -Infinity, high: Infinity, e, eMax };
  const first = inside[0]!;
  const last = inside[inside.length - 1]!;
  const bisect = (outside: number, inside_: number): number => {
    if (!refine) return inside_;
    let a = outside;
    let b = inside_;
    for (let i = 0; i < 30 && Math.abs(a - b) > 1e-6; i++) {
      const mid = (a + b) / 2;
      if (p.at(mid) < t) b = mid;
      else a = mid;
    }
    return b;
  };
  const low = first === 0 ? (p.belowAll < t ? -Infinity : bisect(p.below, p.theta[0]!)) : bisect(p.theta[first - 1]!, p.theta[first]!);
  const high = last === p.theta.length - 1 ? (p.aboveAll < t ? Infinity : bisect(p.above, p.theta[last]!)) : bisect(p.theta[last + 1]!, p.theta[last]!);
  return { n: p.n, center: p.center, low, high, e, eMax };
}

/** The (1 − alpha) robust confidence sequence of d at its length. */
export function robustSequence(d: readonly number[], alpha: number): RobustInterval {
  return robustInterval(wealthProfile(d), alpha);
}

/**
 * The log wealth a bet at θ would grow by per pair if the pairs went on falling as they
 * have (scores taken with the scale and median of all pairs so far, in the window): the
 * best constant stake's mean log growth, for projecting how many pairs would decide.
 */
export function growthRate(d: readonly number[], theta: number, k = SCORE_K, cap = STAKE_CAP): number {
  if (d.length === 0) return 0;
  const s = madScale(d);
  const m = sortedMedian([...d].sort((a, b) => a - b));
  const reach = d.length >= WINDOW_FROM ? WINDOW_REACH : Infinity;
  const psi = d.map((x) => windowedScore(x, theta, s, m, reach, k));
  const g = (lambda: number) => psi.reduce((acc, x) => acc + Math.log1p(lambda * x), 0) / psi.length;
  // concave in λ: golden-section search on [−cap, cap]
  let a = -cap;
  let b = cap;
  const r = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 60; i++) {
    const x1 = b - r * (b - a);
    const x2 = a + r * (b - a);
    if (g(x1) < g(x2)) a = x1;
    else b = x2;
  }
  return Math.max(0, g((a + b) / 2));
}

/** What learning the stake costs a bet over n pairs, in log wealth: about half a log n, and the two pairs with no stake. */
export function stakeRegret(n: number): number {
  return 0.5 * Math.log(Math.max(1, n)) + 1;
}

/** The projected largest log wealth at θ after n pairs in all, from the pairs so far. */
export function projectedLogWealth(rate: number, n: number): number {
  return Math.max(0, n - 2) * rate - stakeRegret(n);
}
