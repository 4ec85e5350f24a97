import { describe, expect, it } from 'vitest';
import { isMeasured, overheadKind, overheadMeaning, overheadOf } from '../../src/results/overhead.js';
import { parseResults } from '../../src/results/validate.js';
import { studentT975 } from '../../src/stats/student.js';
import { trial } from '../support/synthetic.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const cell = { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' } as const;
const traced = (block: number, tps: number) => trial('bridge', block, tps, { index: 100 + block, traced: true });

describe('tracing overhead, paired by block', () => {
  it('is the geometric mean of per-block traced/untraced ratios, with a Student t interval', () => {
    const untraced = [10000, 10400, 9800, 10100, 10200];
    const tr = [9700, 10050, 9500, 9850, 9800];
    const trials = [...untraced.map((v, b) => trial('bridge', b, v)), ...tr.map((v, b) => traced(b, v))];
    const o = overheadOf(trials, cell)!;
    // worked by hand: the five ratios 0.97, 0.966346, 0.969388, 0.975248, 0.960784 have a geometric
    // mean of 0.968342; their logs' standard deviation is 0.005483, so the 95% interval (t = 2.776,
    // 4 degrees of freedom) is 0.968342 · exp(±2.776 · 0.005483 / √5) = 0.961772 – 0.974956
    expect(o.pairs).toBe(5);
    expect(o.ratio).toBeCloseTo(0.968342, 5);
    expect(o.ratioLow).toBeCloseTo(0.961772, 5);
    expect(o.ratioHigh).toBeCloseTo(0.974956, 5);
    // about 3% slower, tightly: inside 1 ± 5%
    expect(o.kind).toBe('within');
    expect(overheadMeaning(o)).toMatch(/^tracing changed the traffic by less than 5% \(95% interval 0\.9\d\d–0\.9\d\d, 5 pairs\): per-packet figures are measurements$/);
  });

  it('pairs only blocks that have both trials, and ignores warm-ups, failed trials and trials taken while the machine was busy', () => {
    const trials = [
      trial('bridge', 0, 10000),
      trial('bridge', 1, 10000),
      traced(0, 8000),
      traced(2, 1), // no untraced twin in block 2
      { ...traced(1, 9000), warmup: true },
      { ...traced(1, 9000), status: 'failed' as const, error: 'x', metrics: {} },
      { ...traced(1, 5000), contaminated: 'another process used 40% of a CPU' },
    ];
    const o = overheadOf(trials, cell)!;
    expect(o.pairs).toBe(1);
    expect(o.ratio).toBeCloseTo(0.8, 9);
    expect(o.ratioLow).toBeNull();
    expect(o.kind).toBe('unresolved');
    expect(overheadMeaning(o)).toContain('1 pair: no interval');
  });

  it("judges each workload on its primary metric (tcp-crr's connection rate)", () => {
    const crr = (b: number, us: number, t: boolean) => ({ ...trial('bridge', b, 1), index: b + (t ? 50 : 0), workload: 'tcp-crr' as const, traced: t, metrics: { tps: { value: 1e6 / us, unit: 'connections/s' } } });
    const trials = [0, 1, 2, 3].flatMap((b) => [crr(b, 100, false), crr(b, 125 + b, true)]);
    const o = overheadOf(trials, { ...cell, workload: 'tcp-crr' });
    expect(o?.metric).toBe('tps');
    expect(o?.ratio).toBeLessThan(0.81);
    expect(o?.kind).toBe('slower');
  });

  it("counts a cell's figures as measurements when the traffic leaves the effect unresolved and the observer's own time is within the margin", () => {
    // one traced pair: no interval, whatever the ratio
    const one = [trial('bridge', 0, 10000), traced(0, 9100)];
    const o = overheadOf(one, cell, 0.05, 0.032)!;
    expect(o.kind).toBe('bounded');
    expect(o.observerShare).toBe(0.032);
    expect(overheadMeaning(o)).toBe("the observer's own time, measured in the kernel, is 3.2% of the traffic's (at most that much slower); the traffic, traced/untraced 0.910 (1 pair: no interval), did not resolve it: per-packet figures are measurements");
    expect(isMeasured(o)).toBe(true);
    // the margin itself counts as within it
    expect(overheadOf(one, cell, 0.05, 0.05)!.kind).toBe('bounded');
    // beyond the margin, or not measured (bpftrace), they stay upper bounds, said as such
    const beyond = overheadOf(one, cell, 0.05, 0.051)!;
    expect(beyond.kind).toBe('unresolved');
    expect(beyond.observerShare).toBe(0.051);
    expect(overheadMeaning(beyond)).toBe("tracing's effect is not resolved (1 pair: no interval): per-packet figures are upper bounds");
    expect(overheadMeaning(o, false)).toBe("the observer's own time, measured in the kernel, is 3.2% of the traffic's (at most that much slower): per-packet figures are measurements");
    expect(overheadOf(one, cell)!.kind).toBe('unresolved');
    expect(isMeasured(overheadOf(one, cell))).toBe(false);
    // a slowdown the traffic shows outweighs the kernel's figure: what it does not count (caches, branch predictors) is what the traffic is for
    const untraced = [10000, 10400, 9800, 10100, 10200];
    const slow = [...untraced.map((v, b) => trial('bridge', b, v)), ...untraced.map((v, b) => traced(b, v * (0.85 + b * 0.01)))];
    expect(overheadOf(slow, cell, 0.05, 0.01)!.kind).toBe('slower');
    // and a resolved one stays "within", the stronger finding
    const tight = [...untraced.map((v, b) => trial('bridge', b, v)), ...untraced.map((v, b) => traced(b, v * (0.99 + b * 0.002)))];
    expect(overheadOf(tight, cell, 0.05, 0.01)!.kind).toBe('within');
    expect(isMeasured(overheadOf(tight, cell))).toBe(true);
    expect(isMeasured(overheadOf(slow, cell, 0.05, 0.01))).toBe(false);
    expect(isMeasured(null)).toBe(false);
  });

  it('classifies intervals against the ±5% margin', () => {
    expect(overheadKind(0.96, 1.03)).toBe('within');
    expect(overheadKind(0.9, 0.97)).toBe('slower');
    expect(overheadKind(1.01, 1.2)).toBe('faster');
    expect(overheadKind(0.9, 1.02)).toBe('unresolved');
    expect(overheadKind(null, null)).toBe('unresolved');
    expect(overheadOf([trial('bridge', 0, 1)], cell)).toBeNull();
  });

  it('a traced or untraced figure that is not positive pairs with nothing; two pairs give an interval', () => {
    // a traced trial measuring 0 or NaN is no traced trial at all
    expect(overheadOf([trial('bridge', 0, 10000), { ...traced(0, 1), metrics: { tps: { value: 0, unit: 't/s' } } }], cell)).toBeNull();
    expect(overheadOf([trial('bridge', 0, 10000), { ...traced(0, 1), metrics: { tps: { value: NaN, unit: 't/s' } } }], cell)).toBeNull();
    // an untraced twin at 0 gives no pair
    const zero = overheadOf([{ ...trial('bridge', 0, 1), metrics: { tps: { value: 0, unit: 't/s' } } }, traced(0, 9000)], cell)!;
    expect(zero.pairs).toBe(0);
    const two = overheadOf([trial('bridge', 0, 10000), trial('bridge', 1, 10000), traced(0, 9000), traced(1, 9100)], cell)!;
    expect(two.pairs).toBe(2);
    expect(two.ratioLow).not.toBeNull();
    expect(two.ratioHigh).toBeGreaterThan(two.ratioLow!);
  });

  it('without a pair, the ratio is of the medians, and the untraced median is reported', () => {
    const o = overheadOf([trial('bridge', 0, 10000), trial('bridge', 1, 12000), trial('bridge', 3, 8000), traced(2, 8000)], cell)!;
    expect(o.pairs).toBe(0);
    expect(o.untracedMedian).toBe(10000);
    expect(o.tracedMedian).toBe(8000);
    expect(o.ratio).toBeCloseTo(0.8, 12);
    expect(overheadMeaning(o)).toBe("tracing's effect is not resolved (0 pairs: no interval): per-packet figures are upper bounds");
  });

  it('the margin is inclusive; an interval touching 1 is not slower or faster', () => {
    expect(overheadKind(0.95, 1.05)).toBe('within');
    expect(overheadKind(0.9, 1)).toBe('unresolved');
    expect(overheadKind(1, 1.2)).toBe('unresolved');
  });

  it('says what each finding means for the per-packet figures, with or without the interval', () => {
    const o = (kind: 'within' | 'slower' | 'faster' | 'unresolved') => ({ ...cell, metric: 'tps', pairs: 4, tracedMedian: 1, untracedMedian: 1, ratio: 1, ratioLow: 1.1, ratioHigh: 1.2, level: 0.95, kind });
    expect(overheadMeaning(o('faster'))).toBe('traced trials were faster (95% interval 1.100–1.200, 4 pairs): per-packet figures are not representative');
    expect(overheadMeaning(o('slower'), false)).toBe('tracing slowed the traffic: per-packet figures are upper bounds');
    expect(overheadMeaning(o('unresolved'), false)).toBe("tracing's effect is not resolved: per-packet figures are upper bounds");
    expect(overheadMeaning(null)).toBe('no traced trial: overhead unknown, per-packet figures are upper bounds');
  });

  it('uses the t quantiles of a fixed number of pairs', () => {
    expect(studentT975(1)).toBe(12.706);
    expect(studentT975(4)).toBe(2.776);
    expect(studentT975(40)).toBeCloseTo(2.021, 3);
    expect(studentT975(120)).toBeCloseTo(1.98, 3);
    expect(studentT975(0)).toBe(Infinity);
  });

  it('reads a version-1 results file: its one-trial overhead becomes unresolved', () => {
    const v2 = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'results', 'traced-run.json'), 'utf8'));
    expect(v2.schema).toBe('netbench.results/2');
    const v1 = {
      ...v2,
      schema: 'netbench.results/1',
      tracing: {
        ...v2.tracing,
        overhead: v2.tracing.overhead.map(({ pairs: _p, ratioLow: _l, ratioHigh: _h, level: _v, kind: _k, ...o }: Record<string, unknown>) => ({ ...o, flagged: true })),
        cells: v2.tracing.cells.map((c: Record<string, unknown>) => ({ ...c, overhead: null, hops: (c.hops as Record<string, unknown>[]).map(({ p99Us: _p, ...h }) => h) })),
        hops: v2.tracing.hops.map(({ p99Us: _p, ...h }: Record<string, unknown>) => h),
      },
    };
    const r = parseResults(JSON.stringify(v1), 'v1.json');
    expect(r.schema).toBe('netbench.results/2');
    expect(r.tracing?.overhead.every((o) => o.kind === 'unresolved' && o.pairs === 0)).toBe(true);
    expect(r.tracing?.hops.every((h) => h.p99Us === null)).toBe(true);
    expect(() => parseResults(JSON.stringify({ ...v2, schema: 'netbench.results/0' }), 'old.json')).toThrow(/not a netbench results file of version netbench.results\/2/);
  });
});
