/**
 * The noise profile's arithmetic on series with known structure: white noise does not
 * grow with the gap, level shifts do; the Allan deviation tells them apart; the pairs a
 * verdict needs follow the anytime-valid threshold exactly.
 */
import { describe, expect, it } from 'vitest';
import { allanDeviation, pairSpread, pairsForMargin, spreadTable } from '../../src/stats/noise.js';
import { tThreshold } from '../../src/stats/sequential.js';
import { iperf3Series, noiseSummary, profileOf, streamSeries } from '../../src/run/noise.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { Ledger } from '../../src/lab/ledger.js';
import type { RoutePlan } from '../../src/topology/routes.js';
import { tempState } from '../support/fakes.js';
import { noiseText } from '../../src/results/noise.js';
import { seededRng } from '../../src/stats/rng.js';
import { normal } from '../support/noise.js';

/** 0.1 s figures: white noise of 10% around 20 Gbit/s, and optionally a level that jumps every `plateau` steps */
function series(n: number, seed: number, plateau?: number): number[] {
  const rng = seededRng(seed);
  let level = 1;
  return Array.from({ length: n }, (_, i) => {
    if (plateau && i % plateau === 0) level = Math.exp(0.3 * normal(rng));
    return 20 * level * Math.exp(0.1 * normal(rng));
  });
}

describe('the noise profile', () => {
  it('a pair\'s spread is the spread of the difference of two window means', () => {
    // alternating 1, 2: windows of one step differ by log 2 in magnitude, alternately signed
    const s = pairSpread([1, 2, 1, 2, 1, 2, 1, 2], 0.1, 0.1, 0.1);
    expect(s.pairs).toBe(7);
    expect(s.spread).toBeCloseTo(Math.log(2) * Math.sqrt(8 / 7), 10);
    // windows of two steps are all 1.5: no spread at all
    expect(pairSpread([1, 2, 1, 2, 1, 2, 1, 2], 0.1, 0.2, 0.2).spread).toBe(0);
    expect(pairSpread([1, 2], 0.1, 0.1, 0.1).spread).toBeNaN();
  });

  it('white noise: the spread does not grow with the gap, and shrinks with the trial length', () => {
    const s = series(6000, 3);
    const near = pairSpread(s, 0.1, 0.1, 0.1).spread;
    const far = pairSpread(s, 0.1, 0.1, 10).spread;
    expect(far / near).toBeGreaterThan(0.9);
    expect(far / near).toBeLessThan(1.1);
    expect(pairSpread(s, 0.1, 1, 1).spread).toBeLessThan(near / 2.5);
    expect(allanDeviation(s, 0.1, 10)).toBeLessThan(allanDeviation(s, 0.1, 0.1) / 5);
  });

  it('level shifts every few seconds: the spread grows with the gap and the Allan deviation does not fall', () => {
    const s = series(6000, 4, 50);
    const table = spreadTable(s, 0.1, [1], [1, 2, 5, 10]);
    expect(table.map((c) => c.gapS)).toEqual([1, 2, 5, 10]);
    const spreads = table.map((c) => c.spread);
    for (let i = 1; i < spreads.length; i++) expect(spreads[i]!).toBeGreaterThan(spreads[i - 1]!);
    expect(allanDeviation(s, 0.1, 10)).toBeGreaterThan(allanDeviation(s, 0.1, 1) * 0.8);
    // so a design whose pairs run back to back needs fewer seconds than one whose pairs run three trials apart
    const p = profileOf(s);
    expect(p.designs[1]!.spread).toBeLessThan(p.designs[0]!.spread);
    expect(p.designs[1]!.pairs).toBeLessThan(p.designs[0]!.pairs);
  });

  it('pairs for a margin: the smallest n whose anytime-valid radius fits inside it', () => {
    const n = pairsForMargin(0.1, 0.05, 0.05);
    const fits = (k: number) => (tThreshold(k, 0.05) * 0.1) / Math.sqrt(k) <= Math.log(1.05);
    expect(fits(n)).toBe(true);
    expect(fits(n - 1)).toBe(false);
    expect(pairsForMargin(0.2, 0.05, 0.05)).toBeGreaterThan(3 * n);
    expect(pairsForMargin(50, 0.05, 0.05)).toBe(Infinity);
  });

  it('reads iperf3\'s 100 ms intervals', () => {
    const json = JSON.stringify({ intervals: [{ sum: { bits_per_second: 2e10 } }, { sum: { bits_per_second: 1.5e10 } }, { sum: { bits_per_second: 0 } }] });
    expect(iperf3Series(json)).toEqual([20, 15]);
    expect(() => iperf3Series('{"error":"x"}')).toThrow(/no intervals/);
  });
});

describe("a run's short noise profile", () => {
  it('keeps the spreads of 1-s figures the profile is long enough for, and the pairs a ±5% verdict needs at each', () => {
    const n = noiseSummary(series(100, 3));
    expect(n.seconds).toBe(10);
    // 10 s: 1-s windows 1 s and 2 s apart have pairs enough; 5 s apart only 5 of them, still kept
    expect(n.spreads.map((s) => s.gapS)).toEqual([1, 2, 5]);
    // white noise of 10% per 100 ms: 1-s means differ by about 10% × √(2/10) ≈ 4.5%, whatever the gap
    for (const s of n.spreads) expect(s.spread).toBeGreaterThan(0.02), expect(s.spread).toBeLessThan(0.08);
    expect(n.spreads[0]!.pairs).toBe(pairsForMargin(n.spreads[0]!.spread, 0.05, 0.05));
    expect(n.meanGbps).toBeGreaterThan(19);
    expect(n.meanGbps).toBeLessThan(21);
    // too short to tell a gap: left out, not guessed
    expect(noiseSummary(series(15, 3)).spreads.map((s) => s.gapS)).toEqual([]);
  });

  it('shows level shifts as spreads that grow with the gap, and says so in one line', () => {
    const n = noiseSummary(series(300, 5, 50));
    expect(n.spreads.at(-1)!.spread).toBeGreaterThan(2 * n.spreads[0]!.spread);
    const text = noiseText(n);
    expect(text).toMatch(/^1-s figures of the host path \(mean [\d.]+ Gbit\/s\) differ by [\d.]+% 1 s apart, [\d.]+% 2 s apart, [\d.]+% 5 s apart; a ±5% verdict needs (about \d+|more than 5,000) pairs at 1 s apart \(spread of the log ratio; 30 s profile before the trials\)$/);
    expect(noiseText({ ...n, spreads: [] })).toContain('differ by an amount the profile was too short to tell');
    // worked by hand: one decimal below 10%, none above; more than 5,000 pairs said in words
    const day = { seconds: 10, stepS: 0.1, meanGbps: 19.84, spreads: [{ gapS: 1, spread: 0.053, pairs: 17 }, { gapS: 5, spread: 0.19, pairs: null }], allan: [] };
    expect(noiseText(day)).toBe('1-s figures of the host path (mean 19.8 Gbit/s) differ by 5.3% 1 s apart, 19% 5 s apart; a ±5% verdict needs about 17 pairs at 1 s apart (spread of the log ratio; 10 s profile before the trials)');
    expect(noiseText({ ...day, spreads: [{ gapS: 1, spread: 0.9, pairs: null }] })).toContain('a ±5% verdict needs more than 5,000 pairs at 1 s apart');
    // under 10%, one decimal; from 10% on, none
    expect(noiseText({ ...day, spreads: [{ gapS: 2, spread: 0.1, pairs: 80 }] })).toContain('differ by 10% 2 s apart; a ±5% verdict needs about 80 pairs at 2 s apart');
    expect(noiseText({ ...day, spreads: [{ gapS: 2, spread: 0.0999, pairs: 80 }] })).toContain('differ by 10.0% 2 s apart');
  });
});

describe("the run's noise stream", () => {
  it('streams the route for the seconds asked, a figure every 100 ms, with its server in the ledger', async () => {
    const { state, cleanup } = tempState();
    try {
      const intervals = Array.from({ length: 30 }, (_, i) => ({ sum: { bits_per_second: (20 + (i % 3)) * 1e9 } }));
      const runner = new RecordingRunner((spec) => (spec.program === 'iperf3' && spec.args.includes('-c') ? { stdout: JSON.stringify({ intervals }) } : undefined));
      const ledger = Ledger.create(state.ledgers, 'abcd-host', { tag: 'abcd', topology: 'host', pid: 1, command: 'bench run', createdAt: 'now' });
      const plan = { client: { netns: 'nb-abcd-host-hostA', ifname: 'up' }, server: { netns: 'nb-abcd-host-peer', ifname: 'peer' }, target: '198.18.0.2' } as unknown as RoutePlan;
      const series = await streamSeries(runner, plan, 3, ledger);
      expect(series).toHaveLength(30);
      expect(series[1]).toBe(21);
      const client = runner.calls.find((c) => c.args.includes('-c'))!;
      expect(client.netns).toBe('nb-abcd-host-hostA');
      expect(client.args.join(' ')).toMatch(/-c 198\.18\.0\.2 -p \d+ -t 3 -i 0\.1 -J/);
      const server = runner.calls.find((c) => c.args.includes('-s'))!;
      expect([server.program, server.netns, server.args.join(' ')]).toEqual(['iperf3', 'nb-abcd-host-peer', expect.stringMatching(/^-s -1 -p \d+$/)]);
      // the server runs in the peer's namespace and is in the ledger, so that bench clean stops it after a SIGKILL
      expect(Ledger.open(ledger.path).entries.filter((e) => e.kind === 'process')).toEqual([expect.objectContaining({ kind: 'process', label: 'iperf3', netns: 'nb-abcd-host-peer' })]);
    } finally {
      cleanup();
    }
  });
});
