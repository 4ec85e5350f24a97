import { resultsSchemaErrors } from '../../src/results/validate.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateTracing, type TrialTrace } from '../../src/trace/aggregate.js';
import { cdf, mergeBuckets, parseBpftrace, percentile, total } from '../../src/trace/parse.js';
import { bpftraceArgs, sampleFor } from '../../src/trace/tracer.js';
import { syntheticResults, trial } from './synthetic.js';

const fixture = (f: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'bpftrace', f), 'utf8');

describe('bpftrace output parser (saved real outputs)', () => {
  it('reads the attach notice, the ready line, the end-to-end histogram and every hop', () => {
    const d = parseBpftrace(fixture('bridge-tcp-rr.json'));
    expect(d.attachedProbes).toBe(6); // BEGIN, three net tracepoints, skb:kfree_skb, END
    expect(d.ready).toBe(true);
    expect(d.errors).toEqual([]);
    const n = total(d.e2e);
    expect(n).toBeGreaterThan(1000);
    // the bridge path: c1 -> c1h (veth) -> up (through the bridge) -> switch -> peer
    const devs = new Set(d.hops.flatMap((h) => [h.fromDev.split('-')[1], h.toDev.split('-')[1]]));
    expect([...devs].sort()).toEqual(['c1', 'c1h', 'peer', 'swa', 'swp', 'up']);
    // one clock read per event: the hops add up to the journey
    const hopSum = d.hops.reduce((s, h) => s + h.sumNs, 0);
    expect(hopSum / d.e2eSumNs).toBeCloseTo(1, 2);
    expect(d.seen.find((s) => s.dev.endsWith('-c1') && s.ev === 1)?.count).toBe(n);
  });

  it('a macvlan path has no container veth and no host bridge hop', () => {
    const d = parseBpftrace(fixture('macvlan-vepa-tcp-rr.json'));
    const devs = new Set(d.hops.flatMap((h) => [h.fromDev.split('-')[1], h.toDev.split('-')[1]]));
    expect(devs.has('c1h')).toBe(false);
    expect(devs.has('up')).toBe(true);
  });

  it('places percentiles beyond 1 ms with the power-of-two histogram', () => {
    const d = parseBpftrace(fixture('ovs-tcp-stream.json'));
    expect(d.e2eLog.length).toBeGreaterThan(0);
    const over = d.e2e.find((b) => b.highUs === null);
    expect(over?.count).toBeGreaterThan(0);
    const p50 = percentile(d.e2e, 0.5, d.e2eLog);
    expect(p50).toBeGreaterThan(1000);
  });

  it('computes percentiles and CDFs from linear buckets', () => {
    const b = [{ lowUs: 10, highUs: 11, count: 50 }, { lowUs: 11, highUs: 12, count: 40 }, { lowUs: 20, highUs: 21, count: 10 }];
    expect(percentile(b, 0.5)).toBe(10.5);
    expect(percentile(b, 0.9)).toBe(11.5);
    expect(percentile(b, 0.99)).toBe(20.5);
    expect(cdf(b).map((p) => p.fraction)).toEqual([0.5, 0.9, 1]);
    expect(mergeBuckets([b, b]).map((x) => x.count)).toEqual([100, 80, 20]);
  });

  it('builds bpftrace arguments: program, interface prefix, sender, receiver, sample, prefix length, the controlling process (whose getpriority splits the data per trial)', () => {
    expect(bpftraceArgs('p.bt', 'abcda', 'abcda-c1', 'abcda-peer', 1)).toEqual(['-f', 'json', 'p.bt', 'abcda', 'abcda-c1', 'abcda-peer', '1', '5', String(process.pid)]);
    expect(sampleFor('udp-pps')).toBeGreaterThan(1);
    expect(sampleFor('tcp-rr')).toBe(1);
  });
});

describe('tracing aggregation', () => {
  it('orders hops along the path, names them by role, and measures the overhead', () => {
    const data = parseBpftrace(fixture('bridge-tcp-rr.json'));
    const prefix = data.hops[0]!.fromDev.split('-')[0]!;
    const roles = Object.fromEntries(['c1', 'c1h', 'up', 'swa', 'swp', 'peer'].map((r) => [`${prefix}-${r}`, r]));
    const trace: TrialTrace = { index: 99, topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer', sender: `${prefix}-c1`, receiver: `${prefix}-peer`, roles, sample: 1, raw: 'raw/x.json', data };
    const trials = [0, 1, 2, 3].map((b) => trial('bridge', b, 15000 + b * 10));
    // traced trials in blocks 0-2, each paired with its block's untraced trial
    const traced = [0, 1, 2].map((b) => ({ ...trial('bridge', b, 11000 + b * 100), index: 99 + b, traced: true }));
    const res = aggregateTracing(syntheticResults([...trials, ...traced]), [trace], { program: '/x/bench/trace/stack-latency.bt', available: true, reason: null });
    const t = res.tracing!;
    const cell = t.cells[0]!;
    expect(cell.hops.filter((h) => h.onPath).map((h) => h.hop)).toEqual([
      'c1 tx → c1h rx-queue',
      'c1h rx-queue → c1h rx',
      'c1h rx → up tx',
      'up tx → swa rx-queue',
      'swa rx-queue → swa rx',
      'swa rx → swp tx',
      'swp tx → peer rx-queue',
      'peer rx-queue → peer rx',
    ]);
    expect(cell.hopMeanSumUs / (cell.meanUs ?? NaN)).toBeCloseTo(1, 2);
    const logs = [0, 1, 2].map((b) => Math.log((11000 + b * 100) / (15000 + b * 10)));
    expect(cell.overhead?.pairs).toBe(3);
    expect(cell.overhead?.ratio).toBeCloseTo(Math.exp(logs.reduce((s, x) => s + x, 0) / 3), 6);
    expect(cell.overhead?.ratioHigh).toBeLessThan(0.95);
    expect(cell.overhead?.kind).toBe('slower');
    expect(t.program).toBe('bench/trace/stack-latency.bt');
    expect(res.trials.find((x) => x.index === 99)?.tracing?.packets).toBe(total(data.e2e));
    expect(resultsSchemaErrors(JSON.parse(JSON.stringify(res)))).toEqual([]);
    expect(res.caveats.some((c) => c.startsWith('tracing bridge tcp-rr c1-peer: tracing slowed the traffic (95% interval'))).toBe(true);
  });
});
