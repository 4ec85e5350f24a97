import { describe, expect, it } from 'vitest';
import { familyVerdicts, PAIRS_CAP, pairsToDecide, verdictAt } from '../../src/results/verdict.js';
import { compareAll, claimSummary, holds, rulesOut, sentence, topologyLabel } from '../../src/report/verdicts.js';
import { comparisonSides, comparisonSpecs, judge } from '../../src/results/comparisons.js';
import { jitter } from '../support/noise.js';
import { syntheticResults, trial } from '../support/synthetic.js';

const blocks = (xs: number[]) => new Map(xs.map((x, i) => [i, x]));
const sample = (a: number[], b: number[], better: 'higher' | 'lower' = 'higher') => ({ a: blocks(a), b: blocks(b), better });

describe('verdicts with known inputs', () => {
  it('a consistent 12% gain is "better", with an interval around it at the level it was decided', () => {
    const b = [100, 104, 98, 101, 99, 102, 100, 97];
    const v = verdictAt(sample(jitter(b.map((x) => x * 1.12), 0.01, 1), b), 0.05);
    expect(v.kind).toBe('better');
    expect(v.effect).toBeGreaterThan(0.1);
    expect(v.effect).toBeLessThan(0.14);
    expect(v.effectLow).toBeGreaterThan(0.05);
    expect(v.effectHigh).toBeGreaterThan(v.effect);
    expect(v.level).toBeCloseTo(0.95, 12);
    expect(v.e).toBeGreaterThan(20);
  });
  it('direction matters: lower latency is better', () => {
    const b = [80, 82, 79, 81, 80, 83];
    const a = jitter(b.map((x) => x * 0.8), 0.01, 2);
    const v = verdictAt(sample(a, b, 'lower'), 0.05);
    expect(v.kind).toBe('better');
    expect(v.effect).toBeCloseTo(0.2, 1);
    expect(verdictAt(sample(b, a, 'lower'), 0.05).kind).toBe('worse');
  });
  it('three trials are too few to bound anything at 95%, and it says so', () => {
    const v = verdictAt(sample([120, 125, 122], [100, 101, 99]), 0.05);
    expect(v.kind).toBe('inconclusive');
    expect(v.reason).toMatch(/3 paired trials are too few/);
  });
  it('noise hides a difference: inconclusive, blaming the CoV', () => {
    const v = verdictAt(sample([100, 140, 80, 125, 70, 130, 95, 60], [110, 90, 120, 85, 115, 90, 100, 105]), 0.05);
    expect(v.kind).toBe('inconclusive');
    expect(v.reason).toMatch(/too noisy \(CoV \d+%\)/);
  });
  it('a difference shown to be inside ±5% is "same"; a wider interval around a small difference is not', () => {
    const b = [100, 101, 99, 100.5, 99.5, 100, 100.2, 99.8];
    expect(verdictAt(sample([100.3, 100.6, 99.4, 101, 99.2, 100.4, 100, 100.1], b), 0.05).kind).toBe('same');
    const loose = verdictAt(sample(jitter(b, 0.06, 3), b), 0.05);
    expect(loose.kind).toBe('inconclusive');
    expect(loose.reason).toMatch(/too wide to decide within ±5%/);
  });
  it('pairs only blocks where both sides succeeded', () => {
    const v = verdictAt({ a: new Map([[0, 2], [1, 4], [3, 9]]), b: new Map([[0, 1], [1, 2], [2, 5]]), better: 'higher' }, 0.05);
    expect(v.n).toBe(2);
  });
});

/** n paired log ratios with exactly this mean and (sample) standard deviation */
function logRatios(n: number, mean: number, sd: number): number[] {
  const z = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + (i % 3) * 0.5));
  const zm = z.reduce((a, b) => a + b, 0) / n;
  const zs = Math.sqrt(z.reduce((a, b) => a + (b - zm) ** 2, 0) / (n - 1));
  return z.map((x) => mean + ((x - zm) / zs) * sd);
}
const asSample = (d: number[]) => ({ a: blocks(d.map((x) => 100 * Math.exp(x))), b: blocks(d.map(() => 100)), better: 'higher' as const });

describe('how many pairs an undecided comparison would need', () => {
  it('projects the pairs at which the same mean and spread would be decided, and the verdict agrees there', () => {
    for (const [mean, sd] of [[0.09, 0.06], [0.01, 0.03], [-0.12, 0.1]] as const) {
      const n = pairsToDecide(logRatios(5, mean, sd), 0.01, 'higher');
      expect(n, `${mean} ${sd}`).toBeGreaterThan(5);
      expect(n).toBeLessThan(PAIRS_CAP);
      expect(verdictAt(asSample(logRatios(n, mean, sd)), 0.01).kind).not.toBe('inconclusive');
      expect(verdictAt(asSample(logRatios(n - 1, mean, sd)), 0.01).kind).toBe('inconclusive');
    }
  });
  it('more spread needs more pairs; a decided comparison needs none beyond its own', () => {
    expect(pairsToDecide(logRatios(6, 0.01, 0.06), 0.01, 'higher')).toBeGreaterThan(pairsToDecide(logRatios(6, 0.01, 0.03), 0.01, 'higher'));
    expect(pairsToDecide(logRatios(12, 0.3, 0.02), 0.05, 'higher')).toBe(12);
  });
  it('an effect sitting at the ±5% margin is not decided within reach: Infinity, and the reason says why', () => {
    const d = logRatios(8, Math.log(1.049), 0.04);
    expect(pairsToDecide(d, 0.01, 'higher')).toBe(Infinity);
    const v = verdictAt(asSample(d), 0.01);
    expect(v.kind).toBe('inconclusive');
    expect(v.pairsToDecide).toBe(Infinity);
    expect(v.reason).toMatch(/not even 2000 paired trials would decide it: the effect \(\+4\.9%\) sits at the ±5% margin/);
  });
  it('an undecided verdict says how many pairs would decide it; fewer than three pairs have no spread to project from', () => {
    const v = verdictAt(asSample(logRatios(6, 0.01, 0.03)), 0.01);
    expect(v.kind).toBe('inconclusive');
    expect(v.reason).toMatch(new RegExp(`about ${v.pairsToDecide} paired trials in all would decide it`));
    expect(pairsToDecide([0.1, 0.2], 0.05, 'higher')).toBeNaN();
    expect(verdictAt(sample([110, 120], [100, 100]), 0.05).reason).not.toMatch(/would decide/);
  });
});

describe('the family of comparisons (e-BY)', () => {
  const clear = (seed: number) => {
    const b = jitter(Array.from({ length: 8 }, () => 100), 0.01, seed);
    return sample(jitter(b.map((x) => x * 1.3), 0.01, seed + 100), b);
  };
  const unclear = (seed: number) => {
    const b = jitter(Array.from({ length: 8 }, () => 100), 0.2, seed);
    return sample(jitter(b, 0.2, seed + 100), b);
  };
  it('when every comparison is decided, each interval is at 1 − α', () => {
    const f = familyVerdicts([1, 2, 3, 4].map(clear));
    expect(f.decided).toBe(4);
    expect(f.alpha).toBeCloseTo(0.05, 12);
    expect(f.verdicts.every((v) => v.level === 1 - 0.05)).toBe(true);
  });
  it('with 1 of 10 decided, every interval is at 1 − α/10, and it is wider than alone', () => {
    const f = familyVerdicts([clear(1), ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map(unclear)]);
    expect(f.decided).toBe(1);
    expect(f.alpha).toBeCloseTo(0.005, 12);
    const alone = verdictAt(clear(1), 0.05);
    expect(f.verdicts[0]!.effectHigh - f.verdicts[0]!.effectLow).toBeGreaterThan(alone.effectHigh - alone.effectLow);
  });
});

describe('the claim', () => {
  const res = (topologies: string[], trials: ReturnType<typeof trial>[], extra: object = {}) => {
    const base = syntheticResults(trials);
    return { ...base, config: { ...base.config, topologies, ...extra } };
  };
  const tps = (b: number) => 1 + 0.004 * Math.sin(b * 7);
  it('compares each macvlan mode with each alternative present, per alternative', () => {
    const trials = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((b) => [trial('host', b, 1000 * tps(b)), trial('nat', b, 800 * tps(b + 1)), trial('macvlan-bridge', b, 950 * tps(b + 2))]);
    const { rows } = compareAll(res(['host', 'nat', 'macvlan-bridge'], trials));
    expect(rows.map((r) => `${r.a}/${r.b}/${r.metric}/${r.verdict.kind}`)).toEqual(['macvlan-bridge/nat/tps/better', 'macvlan-bridge/nat/p99_us/better']);
    expect(rows[0]!.sentence).toMatch(/^macvlan-bridge is 18\.\d% \[\+1\d\.\d%, \+\d\d\.\d%\] faster than nat on tcp-rr c1-peer \(transaction rate, transactions\/s\)$/);
    const claim = claimSummary(rows);
    expect(claim.text).toMatch(/"macvlan is faster" holds on this host: better in 2, worse in 0/);
    expect(claim.perAlternative).toEqual(['vs nat: holds; better in 2, worse in 0, within the margin in 0, inconclusive in 0 of 2']);
  });
  it('a named topology is judged against host; ovs names its datapath and the claim says what userspace OVS wins mean', () => {
    const trials = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((b) => [trial('host', b, 1000 * tps(b)), trial('ovs', b, 300 * tps(b + 1)), trial('macvlan-bridge', b, 1001 * tps(b + 2))]);
    const base = syntheticResults(trials);
    const env = { ...base.environment, topologies: [{ name: 'ovs', driver: 'ovs', mode: null, datapath: 'netdev', hairpin: false, ipForward: null, bridgeNfCallIptables: null, interfaces: [], caveats: [], buildMs: 1, teardownMs: 1 }] };
    const r = { ...res(['host', 'ovs', 'macvlan-bridge'], trials, { challengers: ['macvlan-bridge'], against: ['host', 'ovs'] }), environment: env };
    const { rows } = compareAll(r);
    expect(rows.filter((x) => x.b === 'host').map((x) => x.verdict.kind)).toEqual(['same', 'same']);
    expect(rows.find((x) => x.b === 'host' && x.metric === 'tps')!.sentence).toMatch(/^macvlan-bridge is within ±5\.0% of host on tcp-rr/);
    // tail latency is judged within ±10%
    expect(rows.find((x) => x.b === 'host' && x.metric === 'p99_us')!.sentence).toMatch(/^macvlan-bridge is within ±10\.0% of host on tcp-rr/);
    const ovs = rows.find((x) => x.b === 'ovs' && x.metric === 'tps')!;
    expect(ovs.sentence).toMatch(/^macvlan-bridge is 3\.3× as fast as ovs \(userspace netdev datapath\) on tcp-rr/);
    const claim = claimSummary(rows);
    expect(claim.perAlternative).toEqual([
      'vs host: does not hold (no difference); better in 0, worse in 0, within the margin in 2, inconclusive in 0 of 2',
      'vs ovs (userspace netdev datapath): holds; better in 2, worse in 0, within the margin in 0, inconclusive in 0 of 2',
    ]);
    expect(claim.text).toMatch(/say nothing about ovs on the kernel datapath/);
  });
  it('the ebpf style is named short in charts and for what it is in the claim: Cilium-style, built by this suite, not Cilium', () => {
    const trials = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((b) => [trial('host', b, 1000 * tps(b)), trial('ebpf', b, 900 * tps(b + 1)), trial('macvlan-bridge', b, 1000 * tps(b + 2))]);
    const base = syntheticResults(trials);
    const env = { ...base.environment, topologies: [{ name: 'ebpf', driver: 'ebpf', mode: null, datapath: null, hairpin: false, ipForward: '1', bridgeNfCallIptables: null, interfaces: [], caveats: [], buildMs: 1, teardownMs: 1 }] };
    const r = { ...res(['host', 'ebpf', 'macvlan-bridge'], trials, { challengers: ['macvlan-bridge'], against: ['ebpf'] }), environment: env };
    expect(topologyLabel(r, 'ebpf')).toBe('ebpf (eBPF host routing)');
    const { rows } = compareAll(r);
    expect(rows.find((x) => x.metric === 'tps')!.sentence).toMatch(/^macvlan-bridge is 1\d\.\d% .* faster than ebpf \(eBPF host routing\) on tcp-rr/);
    expect(claimSummary(rows).perAlternative[0]).toMatch(/^vs ebpf \(eBPF host routing, Cilium-style, built by this suite; not Cilium itself\): /);
  });
});

describe('a claim that never says more than the data', () => {
  const t = (better: number, worse: number, same: number, inconclusive: number) => ({ better, worse, same, inconclusive });
  it('holds only with three quarters decided and none worse', () => {
    expect(holds(t(15, 0, 0, 5))).toBe('holds');
    expect(holds(t(14, 0, 0, 6))).toBe('is not shown: it points the same way (14 of 20 decided, all better)');
    expect(holds(t(8, 0, 0, 12))).toBe('is not shown: it points the same way (8 of 20 decided, all better)');
    expect(holds(t(0, 3, 0, 17))).toBe('is not shown: it points the other way (3 of 20 decided, all worse)');
    expect(holds(t(2, 1, 1, 16))).toBe('is not shown: it points both ways (4 of 20 decided, 2 better, 1 worse, 1 within the margin)');
    expect(holds(t(0, 0, 0, 20))).toBe('is not shown (nothing decided)');
    expect(holds(t(12, 4, 0, 4))).toBe('holds only in part');
    expect(holds(t(0, 0, 16, 4))).toBe('does not hold (no difference)');
  });
  it('an undecided comparison says what its interval still rules out', () => {
    const v = { kind: 'inconclusive' as const, effect: 0.02, effectLow: -0.07, effectHigh: 0.12, level: 0.95, e: 1, n: 6, reason: 'too wide', margin: 0.05 };
    expect(rulesOut('macvlan-bridge', 'bridge', v, true, 'transaction rate')).toBe('macvlan-bridge is at most 7.0% slower and at most 12.0% faster than bridge');
    expect(rulesOut('macvlan-bridge', 'bridge', v, false, 'P99 latency')).toBe('macvlan-bridge is at most 7.0% higher P99 latency and at most 12.0% lower P99 latency than bridge');
    expect(rulesOut('a', 'b', { ...v, effectLow: 0.01 }, true, 'x')).toBe('a is at least 1.0% faster and at most 12.0% faster than b');
    expect(rulesOut('a', 'b', { ...v, effectLow: -Infinity }, true, 'x')).toBeUndefined();
    expect(sentence('macvlan-bridge', 'bridge', 'tcp-rr', 'c1-peer', 'tps', v)).toBe('inconclusive for macvlan-bridge vs bridge on tcp-rr c1-peer (transaction rate, transactions/s) (macvlan-bridge is at most 7.0% slower and at most 12.0% faster than bridge): too wide');
  });
});

describe('judging a run', () => {
  it('judges only the comparisons with trials on both sides: one without any neither appears nor widens the family', () => {
    const b = [0, 1, 2, 3, 4, 5, 6, 7];
    const trials = b.flatMap((i) => [trial('host', i, 10_000 + 37 * (i % 3)), trial('bridge', i, 12_000 + 53 * (i % 2))]);
    const both = comparisonSpecs({ challengers: ['bridge', 'nat'], against: ['host'] }, ['tcp-rr'], ['c1-peer']);
    const judged = judge(trials, both);
    expect(judged.specs.map((s) => `${s.a} ${s.metric}`)).toEqual(['bridge tps', 'bridge p99_us']);
    // the same verdicts, at the same level, as if nat had never been asked about
    expect(judged.family).toEqual(judge(trials, both.filter((s) => s.a === 'bridge')).family);
    expect(judged.family.verdicts.every((v) => v.kind === 'better')).toBe(true);
  });
});

describe('the sides of a run', () => {
  const all = ['host', 'nat', 'bridge', 'ovs', 'macvlan-bridge', 'macvlan-vepa'];
  it('every topology: the macvlan modes against the others; named ones: each against host and what --against adds', () => {
    expect(comparisonSides(all, 'all')).toEqual({ challengers: ['macvlan-bridge', 'macvlan-vepa'], against: ['nat', 'bridge', 'ovs'] });
    expect(comparisonSides(['host', 'bridge', 'ovs'], 'some')).toEqual({ challengers: ['bridge', 'ovs'], against: ['host'] });
    // host named again is still one side, once
    expect(comparisonSides(['host', 'bridge', 'ovs'], 'some', ['host', 'ovs'])).toEqual({ challengers: ['bridge'], against: ['host', 'ovs'] });
  });
  it('every topology with --against: everything else against those named, host not added; one not in the run is no side', () => {
    expect(comparisonSides(all, 'all', ['bridge', 'docker-bridge'])).toEqual({ challengers: ['nat', 'ovs', 'macvlan-bridge', 'macvlan-vepa'], against: ['bridge'] });
  });
});
