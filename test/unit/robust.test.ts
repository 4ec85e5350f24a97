/**
 * The robust verdicts (stats/robust.ts, results/verdict.ts): the betting sequence keeps
 * its error rate under heavy tails and glitches, one glitch moves its wealth by a bounded
 * factor, and on a real run's trials a decided comparison stays decided when one of its
 * trials is made a glitch, where the mean's interval loses it. The gate's rank test
 * (stats/twosample.ts) likewise.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { comparisonSidesFromConfig, glitched, judgeWith, type SavedRun } from '../support/saved-run.js';
import { SCORE_K, STAKE_CAP, WINDOW_FROM, WINDOW_REACH, growthRate, huberLocation, logWealth, madScale, predictable, predictableCentres, predictableScales, robustSequence, wealthProfile, robustInterval, windowedScore } from '../../src/stats/robust.js';
import { BET_SHARE, DEFAULT_MARGIN, familyVerdicts, marginEdges, pairedLogRatios, type PairedSample } from '../../src/results/verdict.js';
import { confidenceSequence } from '../../src/stats/sequential.js';
import { midRanks, permutationTest, rankPermutationTest } from '../../src/stats/twosample.js';
import { hodgesLehmann } from '../../src/stats/summary.js';
import { seededRng } from '../../src/stats/rng.js';
import { normal, studentT3 } from '../support/noise.js';

const saved = (): SavedRun => JSON.parse(readFileSync(new URL('../fixtures/results/quick-trials.json', import.meta.url), 'utf8')) as SavedRun;

/** heavy-tailed pairs about `center`, with 1 in `every` a glitch of 50-90% either way */
function pairs(n: number, center: number, rng: () => number, every = 20): number[] {
  return Array.from({ length: n }, () => {
    const x = center + 0.05 * studentT3(rng);
    if (rng() < 1 / every) return x + Math.log(rng() < 0.5 ? 1 - (0.5 + 0.4 * rng()) : 1 + (0.5 + 0.4 * rng()));
    return x;
  });
}

describe('the Huber location', () => {
  it('is the mean when every value lies within k scales of it, and holds its place when a glitch is added', () => {
    const xs = [0.1, 0.12, 0.08, 0.11, 0.09];
    expect(huberLocation(xs)).toBeCloseTo(0.1, 10);
    const withGlitch = [...xs, -2.3];
    expect(Math.abs(huberLocation(withGlitch) - 0.1)).toBeLessThan(0.01);
    // the mean is dragged by a sixth of the glitch's size, to -0.3
    expect(withGlitch.reduce((s, x) => s + x, 0) / withGlitch.length).toBeCloseTo(-0.3, 10);
  });

  it('scales from the median absolute deviation, with no stake before two earlier pairs', () => {
    expect(madScale([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 4);
    const s = predictableScales([0, 1, 3, 6]);
    expect(s.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(s[2]).toBeCloseTo(1.4826 * 0.5, 6);
    expect(s[3]).toBeCloseTo(1.4826 * 1, 6);
  });
});

describe('the betting sequence', () => {
  it('one glitch, however large, moves the wealth by at most a factor 1 - STAKE_CAP', () => {
    const rng = seededRng(3);
    const d = Array.from({ length: 30 }, () => 0.08 + 0.03 * normal(rng));
    const clean = logWealth(d, predictable(d), 0).last;
    const before = logWealth(d.slice(0, 29), predictable(d.slice(0, 29)), 0).last;
    for (const g of [-3, -0.5, 0.5, 3]) {
      const bad = [...d.slice(0, 29), g];
      // the glitch is the last pair: the stakes before it are the same
      const after = logWealth(bad, predictable(bad), 0).last;
      expect(after).toBeGreaterThanOrEqual(before + Math.log(1 - STAKE_CAP) - 1e-12);
      // beyond the window (about 0.08 + 6 × 0.03 from θ = 0) a glitch pays nothing at all, either way
      if (Math.abs(g) > 1) expect(after).toBeCloseTo(before, 12);
    }
    // within it, a pair against the bet costs: the window is not a licence to drop what disagrees
    expect(logWealth([...d.slice(0, 29), -0.15], predictable([...d.slice(0, 29), -0.15]), 0).last).toBeLessThan(before - 0.1);
    expect(clean).toBeGreaterThan(Math.log(20));
  });

  it('the window: odd about θ, following the earlier pairs, from WINDOW_FROM pairs on', () => {
    expect(predictableCentres([5, 1, 3, 2])).toEqual([NaN, NaN, 3, 3]);
    // odd in d − θ, whatever the centre: a symmetric null pays 1 on average
    for (const [x, centre] of [[0.1, 0.5], [0.4, 0.5], [2, 0.5], [0.05, -1]] as const) {
      expect(windowedScore(0.2 + x, 0.2, 0.05, centre, WINDOW_REACH) + windowedScore(0.2 - x, 0.2, 0.05, centre, WINDOW_REACH)).toBeCloseTo(0, 12);
    }
    // θ = 0 far below pairs about 0.5 (scale 0.05): every ordinary pair scores +1, a glitch at −0.9 nothing
    expect(windowedScore(0.55, 0, 0.05, 0.5, WINDOW_REACH)).toBe(1);
    expect(windowedScore(0.5 + WINDOW_REACH * 0.05 - 0.01, 0, 0.05, 0.5, WINDOW_REACH)).toBe(1);
    expect(windowedScore(-0.9, 0, 0.05, 0.5, WINDOW_REACH)).toBe(0);
    expect(windowedScore(-0.9, 0, 0.05, 0.5, Infinity)).toBe(-1);
    // linear within k scales of θ
    expect(windowedScore(0.02, 0, 0.05, 0, WINDOW_REACH)).toBeCloseTo(0.02 / (SCORE_K * 0.05), 12);
    // in the bet: pairs about 0.5, far beyond 6 scales of θ = 0, all count against it (the window reaches them from their median)
    const far = Array.from({ length: 20 }, (_, i) => 0.5 + 0.03 * Math.sin(i));
    expect(logWealth(far, predictable(far), 0).last).toBeGreaterThan(Math.log(1000));
    // before WINDOW_FROM pairs a glitch is scored, clipped: the scale of a few pairs is too unsure to call one an outlier
    const early = [0.08, 0.1, 0.07, 0.09, 0.11];
    const withGlitch = [...early, -3];
    expect(WINDOW_FROM).toBeGreaterThan(withGlitch.length - 1);
    expect(logWealth(withGlitch, predictable(withGlitch), 0).last).toBeLessThan(logWealth(early, predictable(early), 0).last);
  });

  it('keeps its error rate under heavy tails and glitches: the true centre is ever excluded at alpha 0.1 in under 10% of 400 runs of 60 pairs', () => {
    const rng = seededRng(11);
    let excluded = 0;
    for (let r = 0; r < 400; r++) {
      const d = pairs(60, 0.07, rng);
      // the glitches here fall on both sides alike, as symmetric noise does; the largest wealth over all 60 looks
      if (logWealth(d, predictable(d), 0.07).max >= Math.log(10)) excluded++;
    }
    expect(excluded / 400).toBeLessThan(0.1);
  });

  it('narrows around the centre as pairs come, and bounds nothing with fewer than three', () => {
    const rng = seededRng(5);
    const d = pairs(80, 0.1, rng);
    expect(robustSequence(d.slice(0, 2), 0.05)).toMatchObject({ low: -Infinity, high: Infinity });
    const at20 = robustSequence(d.slice(0, 20), 0.05);
    const at80 = robustSequence(d, 0.05);
    expect(at80.low).toBeGreaterThan(0);
    expect(at80.low).toBeLessThan(0.1);
    expect(at80.high).toBeGreaterThan(0.1);
    expect(at80.high - at80.low).toBeLessThan(at20.high - at20.low);
    // the unrefined ends are grid points at least as wide as the refined ones
    const p = wealthProfile(d);
    const rough = robustInterval(p, 0.05, false);
    expect(rough.low).toBeGreaterThanOrEqual(at80.low - 1e-9);
    expect(rough.high).toBeLessThanOrEqual(at80.high + 1e-9);
  });
});

describe('one glitch in a decided comparison (a real quick run, judged again)', () => {
  // every decided rate comparison with 20 or more pairs, its challenger's trial in the middle block made a glitch as large as one seen (x0.35), and as a far larger one (x0.1)
  it.each([0.35, 0.1])('robust: each stays decided the same way with one trial at x%s; the mean loses most of them', (factor) => {
    const run = saved();
    const sides = comparisonSidesFromConfig(run);
    const kept = { robust: 0, mean: 0 };
    let tried = 0;
    const base = { robust: judgeWith(run.trials, sides, run, 'robust'), mean: judgeWith(run.trials, sides, run, 'mean') };
    base.robust.specs.forEach((s, i) => {
      const v = base.robust.family.verdicts[i]!;
      if (!(v.kind === 'better' || v.kind === 'worse') || v.n < 20 || s.metric === 'p99_us') return;
      const trials = glitched(run.trials, s, factor);
      tried++;
      for (const est of ['robust', 'mean'] as const) {
        const again = judgeWith(trials, sides, run, est);
        const j = again.specs.indexOf(s);
        const before = base[est].family.verdicts[base[est].specs.indexOf(s)]!.kind;
        if (again.family.verdicts[j]!.kind === v.kind && before === v.kind) kept[est]++;
      }
    });
    expect(tried).toBeGreaterThanOrEqual(5);
    expect(kept.robust).toBe(tried);
    // the bug put back: the mean-based interval loses at least half of them
    expect(kept.mean).toBeLessThanOrEqual(tried / 2);
  });
});

describe('the family with the robust estimator', () => {
  it('is the bet at two thirds of α intersected with the t sequence at the third left; the evidence is each one\'s wealth times its share', () => {
    const rng = seededRng(8);
    const d = Array.from({ length: 24 }, () => 0.06 + 0.05 * studentT3(rng));
    const s: PairedSample = { a: new Map(d.map((x, i) => [i, 100 * Math.exp(x)])), b: new Map(d.map((_, i) => [i, 100])), better: 'higher' };
    const v = familyVerdicts([s], { estimator: 'robust', alpha: 0.05 }).verdicts[0]!;
    const x = pairedLogRatios(s.a, s.b);
    const r = robustInterval(wealthProfile(x, marginEdges(DEFAULT_MARGIN)), 0.05 * BET_SHARE);
    const t = confidenceSequence(x, 0.05 * (1 - BET_SHARE));
    expect(BET_SHARE).toBeCloseTo(2 / 3, 12);
    expect(Math.max(r.low, t.low)).toBeLessThan(Math.min(r.high, t.high));
    expect(Math.log1p(v.effectLow)).toBeCloseTo(Math.max(r.low, t.low), 6);
    expect(Math.log1p(v.effectHigh)).toBeCloseTo(Math.min(r.high, t.high), 6);
    expect(v.e).toBeCloseTo(Math.max(r.eMax * BET_SHARE, t.e * (1 - BET_SHARE)), 6);
  });

  it("the projection's growth uses the same window: a glitch far off costs it about one pair's share, not a pair against it", () => {
    const rng = seededRng(4);
    // pairs about 0.5, far beyond 6 scales of θ = 0: the window reaches them from the pairs' median, not from θ
    const d = Array.from({ length: 30 }, () => 0.5 + 0.03 * normal(rng));
    const clean = growthRate(d, 0);
    const glitch = growthRate([...d, -1.5], 0);
    expect(clean).toBeGreaterThan(0.3);
    // one score of 0 in 31: the mean log payment falls by about a 31st
    expect(glitch).toBeGreaterThan(clean * (30 / 31) - 0.01);
    expect(glitch).toBeLessThanOrEqual(clean + 1e-12);
  });

  it('decides a clear effect among heavy-tailed pairs with a glitch, where the mean alone does not', () => {
    const rng = seededRng(21);
    const d = Array.from({ length: 30 }, () => 0.1 + 0.04 * studentT3(rng));
    d[15] = Math.log(0.1);
    const s: PairedSample = { a: new Map(d.map((x, i) => [i, 100 * Math.exp(x)])), b: new Map(d.map((_, i) => [i, 100])), better: 'higher' };
    expect(pairedLogRatios(s.a, s.b)).toHaveLength(30);
    const robust = familyVerdicts([s], { estimator: 'robust' });
    const mean = familyVerdicts([s], { estimator: 'mean' });
    expect(robust.estimator).toBe('robust');
    expect(robust.verdicts[0]!.kind).toBe('better');
    expect(mean.verdicts[0]!.kind).toBe('inconclusive');
    // the effect read is the Huber location's, not the mean's that the glitch drags
    expect(robust.verdicts[0]!.effect).toBeGreaterThan(0.08);
    expect(mean.verdicts[0]!.effect).toBeLessThan(0.05);
  });
});

describe("the gate's rank test", () => {
  it('mid-ranks share ties', () => {
    expect(midRanks([1, 2, 2], [3, 2])).toEqual({ a: [1, 3, 3], b: [5, 3] });
  });

  it('is exact and depends only on the order: a glitch far off counts as one rank, where it sways the means', () => {
    const a = [100, 101, 99, 102, 98, 100.5];
    const b = [95, 94, 96, 95.5, 94.5, 93];
    const p = rankPermutationTest(a, b);
    expect(p).toBeCloseTo(2 / 924, 10); // complete separation: the two most extreme of C(12, 6) splits
    expect(rankPermutationTest(a, [...b.slice(0, 5), 1])).toBeCloseTo(p, 12);
    // eight a side, one of current's a glitch the other way: one rank moves, the logs' means are swayed
    const a8 = [...a, 99.5, 101.5];
    const glitch = [...b, 95.2, 10_000];
    expect(rankPermutationTest(a8, glitch)).toBeLessThan(0.05);
    expect(permutationTest(a8.map(Math.log), glitch.map(Math.log))).toBeGreaterThan(0.3);
  });
});

describe('the Hodges–Lehmann estimate and the signed-rank interval (the tracing overhead)', () => {
  it('needs 6 values for 95%; with 6 it spans them all at its real coverage, 62/64', () => {
    expect(hodgesLehmann([1, 2, 3, 4, 5])).toBeNull();
    const r = hodgesLehmann([3, 1, 4, 1.5, 5, 9])!;
    expect([r.low, r.high]).toEqual([1, 9]);
    expect(r.level).toBeCloseTo(62 / 64, 12);
  });

  it('with 20 values its ends are the 53rd Walsh averages from either end (the tables: 52 is the critical value), and a glitch moves it by a rank', () => {
    const rng = seededRng(2);
    const xs = Array.from({ length: 20 }, () => normal(rng));
    const walsh: number[] = [];
    for (let i = 0; i < 20; i++) for (let j = i; j < 20; j++) walsh.push((xs[i]! + xs[j]!) / 2);
    walsh.sort((a, b) => a - b);
    const r = hodgesLehmann(xs)!;
    expect(r.low).toBe(walsh[52]);
    expect(r.high).toBe(walsh[walsh.length - 53]);
    expect(r.level).toBeGreaterThanOrEqual(0.95);
    const bad = hodgesLehmann([...xs.slice(0, 19), -50])!;
    expect(Math.abs(bad.center - r.center)).toBeLessThan(0.3);
    expect(bad.high - bad.low).toBeLessThan(1.5 * (r.high - r.low));
  });
});

describe('pairs that fit no fixed centre', () => {
  it('a centre that jumps mid-run: the bet rejects every θ and then bounds nothing, rather than a point', () => {
    const d = [...Array.from({ length: 40 }, (_, i) => 0.5 + 0.001 * (i % 3)), ...Array.from({ length: 40 }, (_, i) => -0.5 + 0.001 * (i % 3))];
    const r = robustSequence(d, 0.05);
    expect([r.low, r.high]).toEqual([-Infinity, Infinity]);
  });
});
