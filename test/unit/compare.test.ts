import { describe, expect, it } from 'vitest';
import { pairedTest, signFlipTest } from '../../src/stats/compare.js';
import { verdict } from '../../src/results/verdict.js';
import { seededRng } from '../../src/stats/rng.js';
import { compareAll, claimSummary } from '../../src/report/verdicts.js';
import { syntheticResults, trial } from './synthetic.js';

const blocks = (xs: number[]) => new Map(xs.map((x, i) => [i, x]));

/** Normal variate from a seeded generator (Box-Muller). */
function normal(rng: () => number, mean: number, sd: number): number {
  return mean + sd * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

describe('sign-flip permutation test', () => {
  it('gives exact p-values', () => {
    // all positive: only the all-plus and all-minus assignments are as extreme
    expect(signFlipTest([1, 2, 3, 4, 5, 6])).toEqual({ p: 2 / 64, minP: 2 / 64 });
    expect(signFlipTest([1, -1]).p).toBe(1);
    // d = [3, 1, -1]: the eight sums are ±5, ±3, ±3, ±1; six reach |3|
    expect(signFlipTest([3, 1, -1]).p).toBe(0.75);
  });
  it('beyond 16 pairs, its seeded Monte Carlo p agrees with the exact p from all 2^n sign flips', () => {
    const rng = seededRng(2);
    // 18 paired log ratios with a small shift: p is neither near 0 nor near 1
    const d = Array.from({ length: 18 }, () => 0.008 + 0.05 * (rng() * 2 - 1));
    const observed = Math.abs(d.reduce((a, x) => a + x, 0));
    let extreme = 0;
    for (let mask = 0; mask < 2 ** d.length; mask++) {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += mask & (1 << i) ? -d[i]! : d[i]!;
      if (Math.abs(s) >= observed - 1e-12) extreme++;
    }
    const exact = extreme / 2 ** d.length;
    expect(exact).toBeGreaterThan(0.05);
    expect(exact).toBeLessThan(0.6);
    const r = signFlipTest(d, seededRng(3));
    // 20,000 draws: the standard error is at most 0.0036
    expect(Math.abs(r.p - exact)).toBeLessThan(0.015);
    expect(r.minP).toBeCloseTo(1 / 20_001, 12);
  });
});

describe('verdicts with known inputs', () => {
  it('a consistent 12% gain is "better" with its interval', () => {
    const b = [100, 104, 98, 101, 99, 102, 100, 97];
    const a = b.map((x) => x * 1.12);
    const v = verdict(blocks(a), blocks(b), 'higher');
    expect(v.kind).toBe('better');
    expect(v.effect).toBeCloseTo(0.12, 10);
    expect(v.effectLow).toBeCloseTo(0.12, 10);
    expect(v.p).toBeCloseTo(2 / 256, 12);
  });
  it('direction matters: lower latency is better', () => {
    const b = [80, 82, 79, 81, 80, 83];
    const a = b.map((x) => x * 0.9);
    const v = verdict(blocks(a), blocks(b), 'lower');
    expect(v.kind).toBe('better');
    expect(v.effect).toBeCloseTo(0.1, 10);
    expect(verdict(blocks(b), blocks(a), 'lower').kind).toBe('worse');
  });
  it('three trials can never decide, and says so', () => {
    const v = verdict(blocks([120, 121, 122]), blocks([100, 100, 100]), 'higher');
    expect(v.kind).toBe('inconclusive');
    expect(v.reason).toMatch(/3 paired trials cannot reach p<0.05.*run at least 6 trials/);
  });
  it('noise hides a difference: inconclusive, blaming the CoV', () => {
    const a = [100, 140, 80, 125, 70, 130, 95, 60];
    const b = [110, 90, 120, 85, 115, 90, 100, 105];
    const v = verdict(blocks(a), blocks(b), 'higher');
    expect(v.kind).toBe('inconclusive');
    expect(v.reason).toMatch(/too noisy \(CoV \d+%\)/);
  });
  it('a tiny difference inside ±5% is "no significant difference"', () => {
    const b = [100, 101, 99, 100.5, 99.5, 100, 100.2, 99.8];
    const a = [100.3, 100.6, 99.4, 101, 99.2, 100.4, 100, 100.1];
    expect(verdict(blocks(a), blocks(b), 'higher').kind).toBe('same');
  });
  it('pairs only blocks where both sides succeeded', () => {
    const t = pairedTest(new Map([[0, 2], [1, 4], [3, 9]]), new Map([[0, 1], [1, 2], [2, 5]]))!;
    expect(t.n).toBe(2);
    expect(t.ratio).toBe(2);
  });
});

describe('A/A check', () => {
  it('samples from one distribution are rarely called different (false positives near 5% or below)', () => {
    const rng = seededRng(20261128);
    let wrong = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const a = Array.from({ length: 8 }, () => normal(rng, 100, 4));
      const b = Array.from({ length: 8 }, () => normal(rng, 100, 4));
      const k = verdict(blocks(a), blocks(b), 'higher').kind;
      if (k === 'better' || k === 'worse') wrong++;
    }
    expect(wrong / runs).toBeLessThan(0.08);
  });
});

describe('the macvlan claim', () => {
  it('compares each macvlan mode with each incumbent present, and sums up', () => {
    const trials = [0, 1, 2, 3, 4, 5].flatMap((b) => [trial('host', b, 1000 + b), trial('nat', b, 800 + b), trial('macvlan-bridge', b, 950 + b)]);
    const res = { ...syntheticResults(trials), config: { ...syntheticResults(trials).config, topologies: ['host', 'nat', 'macvlan-bridge'] } };
    const rows = compareAll(res);
    expect(rows.map((r) => `${r.a}/${r.b}/${r.metric}/${r.verdict.kind}`)).toEqual(['macvlan-bridge/nat/tps/better', 'macvlan-bridge/nat/p99_us/better']);
    expect(rows[0]!.sentence).toMatch(/^macvlan-bridge is 18\.\d% \[\+18\.\d%, \+18\.\d%\] faster than nat on tcp-rr c1-peer \(transaction rate, transactions\/s\)$/);
    expect(rows[1]!.sentence).toMatch(/^macvlan-bridge has 15\.\d% .* lower P99 latency than nat on tcp-rr c1-peer$/);
    expect(claimSummary(rows).text).toMatch(/holds on this host: macvlan is better in 2, worse in 0/);
  });
});
