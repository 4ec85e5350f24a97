/**
 * The compiled observer's side in user space: its raw maps (saved real loader output)
 * decoded into the same figures as bpftrace's, the same hops by role as bpftrace saw on
 * the same topology, its own cost per cell from the kernel's statistics, its arguments,
 * and the choice between the two observers.
 */
import { parseLoaderCheck } from '../../src/cli/commands/doctor.js';
import { describe, expect, it } from 'vitest';
import { aggregateTracing, type TrialTrace } from '../../src/trace/aggregate.js';
import { LINEAR_US, libbpfArgs, libbpfUnavailable, parseLoader, slotOf } from '../../src/trace/libbpf.js';
import { observerCost, runAttachNs } from '../../src/trace/observer.js';
import { parseBpftrace, percentile, total } from '../../src/trace/parse.js';
import { resolveRunConfig } from '../../src/run/config.js';
import { resultsSchemaErrors } from '../../src/results/validate.js';
import { fixtureText } from '../support/fixtures.js';
import { syntheticResults, trial } from '../support/synthetic.js';
import { scratchDir } from '../support/scratch.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function namer(dir: string, topology: string): (device: number) => string {
  const list = JSON.parse(fixtureText(dir, `${topology}-devices.json`)) as { device: number; name: string; role: string | null }[];
  const by = new Map(list.map((d) => [d.device, d.role ?? d.name]));
  return (device) => by.get(device) ?? `interface ${device}`;
}

const hopNames = (d: ReturnType<typeof parseBpftrace>) => d.hops.map((h) => `${h.fromDev}/${h.fromEv}>${h.toDev}/${h.toEv}`).sort();

describe('the compiled observer\'s output (saved real loader output)', () => {
  const bridge = parseLoader(fixtureText('libbpf', 'bridge-tcp-rr.json'), namer('libbpf', 'bridge'));

  it('decodes slots into the end-to-end histograms and every hop, named by role', () => {
    expect(bridge.errors).toEqual([]);
    // a trial's segment begins after the sampler's start-up: its lines are the next trial's split's
    expect(bridge.ready).toBe(false);
    expect(parseLoader('{"type":"attached_probes","data":{"probes":3}}\n{"type":"printf","data":"netbench-tracing-ready\\n"}\n')).toMatchObject({ ready: true, attachedProbes: 3 });
    const n = total(bridge.e2e);
    expect(n).toBeGreaterThan(1000);
    // the linear and the power-of-two histograms count the same journeys
    expect(total(bridge.e2eLog)).toBe(n);
    const devs = new Set(bridge.hops.flatMap((h) => [h.fromDev, h.toDev]));
    expect([...devs].sort()).toEqual(['c1', 'c1h', 'peer', 'swa', 'swp', 'up']);
    // one clock read per event: the steps add up to the journey exactly
    expect(bridge.hops.reduce((s, h) => s + h.sumNs, 0) / bridge.e2eSumNs).toBeCloseTo(1, 6);
    // every journey leaves c1 first
    const first = bridge.hops.filter((h) => h.fromDev === 'c1' && h.fromEv === 1);
    expect(first.reduce((s, h) => s + total(h.buckets), 0)).toBe(n);
  });

  it('sees the same steps as bpftrace on the same topology and path', () => {
    const bt = parseBpftrace(fixtureText('bpftrace', 'bridge-tcp-rr.json'), namer('bpftrace', 'bridge'));
    expect(hopNames(bridge)).toEqual(hopNames(bt));
  });

  it('ends a macvlan journey from outside on the parent\'s receive, as bpftrace does', () => {
    // an older loader's output, from before the dispatch was measured: read all the same
    const d = parseLoader(fixtureText('libbpf', 'macvlan-bridge-tcp-rr-peer-c1.json'), namer('libbpf', 'macvlan-bridge'));
    expect(d.observer?.attachNs).toBeNull();
    expect(total(d.e2e)).toBeGreaterThan(100);
    expect(d.hops.some((h) => h.fromDev === 'swa' && h.toDev === 'up' && h.toEv === 3)).toBe(true);
    expect(d.hops.some((h) => h.toDev === 'c1h')).toBe(false);
  });

  it('reads the kernel\'s statistics of each program and the clock read the loader measured', () => {
    const o = bridge.observer!;
    expect(o.stats).toBe(true);
    expect(o.clockReadNs).toBeGreaterThan(0);
    // the dispatch the kernel does not time, measured by the loader at start
    expect(o.attachNs).toBeGreaterThan(0);
    expect(o.programs.map((p) => p.name)).toEqual(['net_dev_queue', 'netif_receive_skb', 'kfree_skb']);
    // every hit counted; about a tenth of them timed by the kernel
    expect(o.programs[0]!.events).toBeGreaterThan(total(bridge.e2e));
    expect(o.statsShare).toBeGreaterThan(0.05);
    expect(o.statsShare).toBeLessThan(0.2);
    expect(o.programs[0]!.runCnt / o.programs[0]!.events).toBeGreaterThan(0.03);
    expect(o.programs[0]!.runCnt / o.programs[0]!.events).toBeLessThan(0.3);
  });

  it('places a slot in its linear bucket below 1 ms and in a power of two beyond, as bpftrace\'s lhist and hist do', () => {
    expect(slotOf(0)).toBe(0);
    expect(slotOf(999)).toBe(999);
    expect(slotOf(1000)).toBe(LINEAR_US + 9);
    expect(slotOf(5000)).toBe(LINEAR_US + 12);
    const text = ['{"type":"slots","data":[[0,0,0,2,1000],[0,0,3,1,3500],[0,0,1012,1,5000000],[5,9,3,1,3500]]}', '{"type":"slots","data":[[0,0,3,2,7000]]}'].join('\n');
    const d = parseLoader(text);
    expect(d.e2e).toEqual([
      { lowUs: 0, highUs: 1, count: 2 },
      { lowUs: 3, highUs: 4, count: 3 },
      { lowUs: 1000, highUs: null, count: 1 },
    ]);
    expect(d.e2eLog).toEqual([
      { lowUs: 0, highUs: 1, count: 2 },
      { lowUs: 2, highUs: 4, count: 3 },
      { lowUs: 4096, highUs: 8192, count: 1 },
    ]);
    expect(d.e2eSumNs).toBe(1000 + 3500 + 5_000_000 + 7000);
    // the overflow bucket's percentile comes from the power-of-two histogram
    expect(percentile(d.e2e, 0.99, d.e2eLog)).toBe(6144);
    expect(d.hops).toEqual([{ fromDev: '4', fromEv: 1, toDev: '8', toEv: 1, buckets: [{ lowUs: 3, highUs: 4, count: 1 }], sumNs: 3500 }]);
  });

  it('adds up drops by place and reason, and ignores rows that are not whole', () => {
    const d = parseLoader('{"type":"drops","data":[[13,2,3],[13,2,1],[17,6,1],[1,2],[1,2,-1]]}\n{"type":"slots","data":[[1,2,3]]}\nnot json {"type":"slots"\n');
    expect(d.drops).toEqual([
      { dev: '12', ev: 1, reason: 2, count: 4 },
      { dev: '16', ev: 1, reason: 6, count: 1 },
    ]);
    expect(d.hops).toEqual([]);
    expect(d.errors).toHaveLength(1);
  });
});

describe("the observer's own cost per cell", () => {
  /** a trial's observer record: each program hit `events` times, `timed` of them timed at `ns` each, the statistics on `share` of the time */
  const stats = (events: number, timed: number, ns: number, clockReadNs: number | null = 30, share = 0.1, attachNs: number | null = null) => ({
    backend: 'libbpf' as const,
    stats: true,
    statsShare: share,
    clockReadNs,
    attachNs,
    programs: [
      { name: 'net_dev_queue', events, runCnt: timed, runTimeNs: timed * ns },
      { name: 'netif_receive_skb', events, runCnt: timed, runTimeNs: (timed * ns) / 2 },
    ],
  });
  const data = (o: ReturnType<typeof stats> | undefined) => ({ attachedProbes: 3, ready: true, e2e: [], e2eLog: [], e2eSumNs: 0, hops: [], drops: [], errors: [], ...(o ? { observer: o } : {}) });
  const cpu = (index: number, s: number) => trial('bridge', index, 1000, { index, traced: true, metrics: { tps: { value: 1000, unit: 't/s' }, cpu_busy_s: { value: s, unit: 'CPU-s' } } });

  it('counts every event, times the sampled ones, states the statistics\' two clock reads and takes them off', () => {
    const cost = observerCost([{ index: 1, sample: 8, data: data(stats(10_000, 1000, 100, 31)) }, { index: 2, sample: 8, data: data(stats(30_000, 3000, 100, 29)) }], [cpu(1, 0.5), cpu(2, 1.5)], 1000)!;
    expect(cost.trials).toBe(2);
    expect(cost.events).toBe(80_000);
    expect(cost.sampledEvents).toBe(8000);
    expect(cost.statsShare).toBeCloseTo(0.1, 10);
    expect(cost.nsPerEvent).toBe(75);
    // two reads of the clock, the least the loader measured
    expect(cost.statsNsPerEvent).toBe(58);
    expect(cost.netNsPerEvent).toBe(17);
    // 80,000 events over 1000 followed packets of 1 in 8
    expect(cost.eventsPerPacket).toBe(10);
    // every event at 17 ns and the 8000 timed ones 58 ns more, over 2 CPU-s
    expect(cost.cpuShare).toBeCloseTo((80_000 * 17 + 8000 * 58) / 1e9 / 2, 12);
    expect(cost.programs).toEqual([
      { name: 'net_dev_queue', events: 40_000, nsPerEvent: 100 },
      { name: 'netif_receive_skb', events: 40_000, nsPerEvent: 50 },
    ]);
  });

  it('adds the dispatch the kernel does not time, and bounds the traffic\'s slowdown by the observer\'s time over the traffic\'s', () => {
    // two trials of 0.25 s; the loader measured the dispatch at 60 and 64 ns (their median, 62, is taken)
    const cost = observerCost([{ index: 1, sample: 8, data: data(stats(10_000, 1000, 100, 31, 0.1, 60)) }, { index: 2, sample: 8, data: data(stats(30_000, 3000, 100, 29, 0.1, 64)) }], [cpu(1, 0.5), cpu(2, 1.5)], 1000, 0.25)!;
    expect(cost.attachNsPerEvent).toBe(62);
    const spent = 80_000 * (17 + 62) + 8000 * 58;
    expect(cost.cpuShare).toBeCloseTo(spent / 1e9 / 2, 12);
    expect(cost.trafficShare).toBeCloseTo(spent / 1e9 / 0.5, 12);
    // the run's figure, when given, is used over the cell's own loaders': the median of every loader's start
    const traces = [60, 90, 64, 30, 62].map((a, i) => ({ index: i + 1, sample: 8, data: data(stats(10_000, 1000, 100, 31, 0.1, a)) }));
    expect(runAttachNs(traces)).toBe(62);
    expect(runAttachNs([{ index: 1, sample: 8, data: data(stats(10_000, 1000, 100, 31)) }])).toBeNull();
    expect(observerCost([traces[1]!], [cpu(2, 0.5)], 1000, 0.25, 62)!.attachNsPerEvent).toBe(62);
    expect(observerCost([traces[1]!], [cpu(2, 0.5)], 1000, 0.25)!.attachNsPerEvent).toBe(90);
    // without the dispatch's cost (an older loader) there is no bound, and without the trial's duration neither
    expect(observerCost([{ index: 1, sample: 8, data: data(stats(10_000, 1000, 100, 31)) }], [cpu(1, 0.5)], 1000, 0.25)!.trafficShare).toBeNull();
    expect(observerCost([{ index: 1, sample: 8, data: data(stats(10_000, 1000, 100, 31, 0.1, 60)) }], [cpu(1, 0.5)], 1000)!.trafficShare).toBeNull();
    expect(observerCost([{ index: 1, sample: 8, data: data(stats(10_000, 1000, 100, 31, 0.1, 60)) }], [cpu(1, 0.5)], 1000, 0)!.trafficShare).toBeNull();
    // no event timed (the statistics' window never opened in the trial): no cost per event, so no bound
    expect(observerCost([{ index: 1, sample: 8, data: data(stats(10_000, 0, 0, 31, 0.1, 60)) }], [cpu(1, 0.5)], 1000, 0.25)!.trafficShare).toBeNull();
  });

  it('estimates the events of the attached-only programs, which count nothing, from the timed ones and the share of time', () => {
    const cost = observerCost([{ index: 1, sample: 8, data: data(stats(0, 500, 60, 30, 0.1)) }], [cpu(1, 1)], 100)!;
    expect(cost.events).toBe(10_000);
    expect(cost.sampledEvents).toBe(1000);
  });

  it('is null without the statistics (bpftrace, or --trace-variant no-stats), and says nothing it did not measure', () => {
    expect(observerCost([{ index: 1, sample: 8, data: data(undefined) }], [], 10)).toBeNull();
    expect(observerCost([{ index: 1, sample: 8, data: data({ ...stats(10, 1, 10), stats: false }) }], [], 10)).toBeNull();
    const cost = observerCost([{ index: 1, sample: 8, data: data(stats(10, 1, 1000, null)) }], [], 0)!;
    expect(cost.statsNsPerEvent).toBeNull();
    expect(cost.netNsPerEvent).toBeNull();
    expect(cost.eventsPerPacket).toBeNull();
    expect(cost.cpuShare).toBeNull();
  });

  it('goes into results per traced cell, with the observer named, and passes the schema', () => {
    const d = parseLoader(fixtureText('libbpf', 'bridge-tcp-rr.json'), namer('libbpf', 'bridge'));
    const t = trial('bridge', 0, 1000, { index: 1, traced: true, metrics: { tps: { value: 1000, unit: 't/s' }, cpu_busy_s: { value: 0.4, unit: 'CPU-s' } } });
    const results = syntheticResults([t]);
    const traces: TrialTrace[] = [{ index: 1, topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer', sender: 'c1', receiver: 'peer', sample: 8, raw: 'raw/x.libbpf.json', data: d }];
    const out = aggregateTracing(results, traces, { program: '/x/bench/trace/bpf/path-latency.bpf.c', backend: 'libbpf', variant: 'full', available: true, reason: null });
    expect(out.tracing!.backend).toBe('libbpf');
    expect(out.tracing!.program).toBe('bench/trace/bpf/path-latency.bpf.c');
    const cost = out.tracing!.cells[0]!.observer!;
    expect(cost.events).toBe(d.observer!.programs.reduce((s, p) => s + p.events, 0));
    expect(cost.sampledEvents).toBe(d.observer!.programs.reduce((s, p) => s + p.runCnt, 0));
    expect(cost.eventsPerPacket).toBeGreaterThan(2);
    // the loader's dispatch reaches the cell, and with it the bound on the traffic and the overhead's kind
    expect(cost.attachNsPerEvent).toBe(d.observer!.attachNs);
    expect(cost.trafficShare).toBeGreaterThan(0);
    expect(out.tracing!.cells[0]!.overhead?.observerShare).toBe(cost.trafficShare);
    expect(resultsSchemaErrors(JSON.parse(JSON.stringify(out)))).toEqual([]);
  });
});

describe('choosing the observer', () => {
  const out = () => join(scratchDir('tracer-choice'), 'run');
  it('passes the variant as the loader\'s flag before the bpftrace program\'s arguments', () => {
    const ends = { sender: 5, receiver: 11, receiver2: 0 };
    expect(libbpfArgs(ends, 8192)).toEqual(['5', '11', '0', '8192']);
    expect(libbpfArgs(ends, 8192, 'attached-only')).toEqual(['--attached-only', '5', '11', '0', '8192']);
    expect(libbpfArgs(ends, 1024, 'no-stats')).toEqual(['--no-stats', '5', '11', '0', '1024']);
  });

  it('says why the compiled observer cannot run: no BTF, or not built', () => {
    const dir = scratchDir('no-loader');
    expect(libbpfUnavailable(join(dir, 'vmlinux'), join(dir, 'loader'))).toMatch(/no BTF/);
    writeFileSync(join(dir, 'vmlinux'), '');
    expect(libbpfUnavailable(join(dir, 'vmlinux'), join(dir, 'loader'))).toMatch(/not built .*make -C bench\/trace\/bpf/);
    writeFileSync(join(dir, 'loader'), '');
    expect(libbpfUnavailable(join(dir, 'vmlinux'), join(dir, 'loader'))).toBeUndefined();
  });

  it('takes a named observer, bpftrace for --trace-program, libbpf for a variant, and refuses the contradictions', () => {
    const program = join(scratchDir('prog'), 'p.bt');
    writeFileSync(program, 'BEGIN {}');
    expect(resolveRunConfig({ tracer: 'bpftrace', out: out() }).tracer).toBe('bpftrace');
    expect(resolveRunConfig({ tracer: 'libbpf', out: out() })).toMatchObject({ tracer: 'libbpf', tracerWhy: 'named with --tracer', traceVariant: 'full' });
    expect(resolveRunConfig({ traceProgram: program, out: out() })).toMatchObject({ tracer: 'bpftrace', traceProgram: program });
    expect(resolveRunConfig({ traceVariant: 'attached-only', out: out() })).toMatchObject({ tracer: 'libbpf', traceVariant: 'attached-only' });
    expect(() => resolveRunConfig({ tracer: 'libbpf', traceProgram: program, out: out() })).toThrow(/--trace-program names a bpftrace program/);
    expect(() => resolveRunConfig({ tracer: 'bpftrace', traceVariant: 'no-stats', out: out() })).toThrow(/--trace-variant .* --tracer libbpf/);
    expect(() => resolveRunConfig({ tracer: 'ebpf', out: out() })).toThrow(/--tracer must be one of libbpf, bpftrace, got 'ebpf'/);
    expect(() => resolveRunConfig({ traceVariant: 'fast', out: out() })).toThrow(/--trace-variant must be one of full, attached-only, no-stats/);
    // unnamed: the machine's default, with its reason
    const d = resolveRunConfig({ out: out() });
    expect(d.tracer).toBe(libbpfUnavailable() === undefined ? 'libbpf' : 'bpftrace');
    expect(d.tracerWhy.length).toBeGreaterThan(10);
  });
});

describe("the loader's --check, as bench doctor reads it", () => {
  it('reads what the kernel allows and the dispatch it measured (this machine\'s answer)', () => {
    expect(parseLoaderCheck('tp_btf: yes\ndispatch: 65.4 ns\nfentry: no (Operation not permitted)\n', 'not answered')).toEqual({ tp: 'yes', fentry: 'Operation not permitted', dispatchNs: 65.4 });
  });

  it('has no dispatch when the programs did not load, and says what was not answered', () => {
    expect(parseLoaderCheck('tp_btf: no (Invalid argument)\nfentry: no (Invalid argument)\n', 'not answered')).toEqual({ tp: 'Invalid argument', fentry: 'Invalid argument', dispatchNs: null });
    expect(parseLoaderCheck('', 'not answered (exit 1)')).toEqual({ tp: 'not answered (exit 1)', fentry: 'not answered (exit 1)', dispatchNs: null });
  });
});
