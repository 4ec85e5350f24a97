/**
 * bpftrace on real traffic: the hops it sees are the topology's path (both ways), the
 * hops add up to the journey, the overhead is paired by block, and a wrong tracepoint
 * fails cleanly instead of hanging a run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { procfs } from '../../src/lab/processes.js';
import { parseNetperf } from '../../src/parsers/netperf.js';
import { loadResults } from '../../src/results/validate.js';
import { bpftraceArgs, TRACE_PROGRAM, startSampler, tracingUnavailable } from '../../src/trace/tracer.js';
import { bench } from '../support/cli.js';
import { ourBpf } from '../support/bpf.js';
import { LOADER, libbpfUnavailable } from '../../src/trace/libbpf.js';

/** the compiled observer's run of the first test, which the bpftrace run is set beside */
const bothObservers: { libbpf?: string } = {};
import { ourNetns } from '../support/netns.js';
import { scratchDir } from '../support/scratch.js';

/** The transactions a netperf trial made, from its own output: rate × elapsed seconds. */
function transactionsOf(runDir: string, raw: string): number {
  const parsed = parseNetperf(readFileSync(join(runDir, raw), 'utf8'));
  if (!parsed.ok) throw new Error(`${raw}: ${parsed.error}`);
  return parsed.values['tps']! * parsed.values['seconds']!;
}

/** Each traced cell's hops on the path, in order, by role. */
function pathsOf(dir: string): Map<string, string[]> {
  const results = loadResults(dir);
  return new Map((results.tracing?.cells ?? []).map((c) => [`${c.topology} ${c.workload} ${c.path}`, c.hops.filter((h) => h.onPath).map((h) => h.hop)]));
}

describe('tracing', () => {
  it('is available on this machine (the compiled observer, bpftrace, BTF, tracefs)', () => {
    expect(tracingUnavailable()).toBeUndefined();
    expect(libbpfUnavailable()).toBeUndefined();
  });

  it('follows packets hop by hop along each topology\'s own path, both ways', async () => {
    // --busy keep here and below: what is checked is the tracer, not the figures, so a busy runner tests it too
    const out = scratchDir('trace');
    const r = await bench(['run', '--topology', 'bridge,nat,ovs,macvlan-bridge', '--workload', 'tcp-rr', '--path', 'c1-peer,peer-c1', '--trials', '1', '--traced', '1', '--duration', '0.25', '--warmup', '0', '--busy', 'keep', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // loadResults validates against the schema
    const results = loadResults(out);
    // the compiled observer is the default where the kernel has BTF
    expect(results.environment.tracing).toMatchObject({ enabled: true, available: true, reason: null, tracer: 'libbpf' });
    expect(results.tracing?.backend).toBe('libbpf');
    bothObservers.libbpf = out;
    const cells = results.tracing?.cells ?? [];
    const cell = (t: string, p = 'c1-peer') => cells.find((c) => c.topology === t && c.path === p)!;
    const path = (t: string, p = 'c1-peer') => cell(t, p).hops.filter((h) => h.onPath).map((h) => h.hop);
    for (const t of ['host', 'bridge', 'nat', 'ovs', 'macvlan-bridge']) {
      for (const p of ['c1-peer', 'peer-c1']) {
        const c = cell(t, p);
        expect(c.errors, `${t} ${p}`).toEqual([]);
        // the sample is 1 in 8 on a hash of the IP id, and tcp-rr sends one packet each way
        // per transaction: the followed packets are an eighth of the traced trials' transactions
        const traced = results.trials.filter((x) => x.traced && x.status === 'ok' && x.topology === t && x.path === p);
        // a trial's transactions: its rate times the seconds netperf reports it ran (short trials end by count)
        const transactions = traced.reduce((s, x) => s + transactionsOf(out, x.raw[0]!), 0);
        expect(traced.length, `${t} ${p}`).toBe(1);
        expect(c.packets / (transactions / 8), `${t} ${p}: ${c.packets} packets, ${Math.round(transactions)} transactions`).toBeGreaterThan(0.95);
        expect(c.packets / (transactions / 8), `${t} ${p}: ${c.packets} packets, ${Math.round(transactions)} transactions`).toBeLessThan(1.1);
        // enough to have percentiles at all: on a busy machine ovs's userspace datapath falls to about 3,000
        // transactions a second, 90 followed packets in a 0.25 s trial (the ratio above is the check of the count)
        expect(c.packets, `${t} ${p}`).toBeGreaterThan(30);
        expect(c.p50Us ?? NaN).toBeGreaterThan(0);
        expect(c.p99Us ?? NaN).toBeGreaterThanOrEqual(c.p50Us ?? NaN);
        // every followed packet arrived, so the hops' shares add up to the mean journey
        const mean = c.meanUs ?? NaN;
        expect(Math.abs(c.hopMeanSumUs - mean) / mean, `${t} ${p}`).toBeLessThan(0.05);
        // the traced trial is paired with its block's untraced one (the interval over pairs is the unit tests')
        expect(c.overhead?.metric).toBe('tps');
        expect(c.overhead?.pairs).toBe(1);
        expect(c.overhead?.ratio).toBeGreaterThan(0);
        // one pair gives a ratio but no interval: the traffic leaves the effect unresolved, and the
        // cell's per-packet figures are measurements only if the observer's own time, measured in the kernel, is within 5%
        expect(c.overhead?.ratioLow).toBeNull();
        expect(c.overhead?.observerShare, `${t} ${p}`).toBeGreaterThan(0);
        expect(c.overhead?.kind, `${t} ${p}: observer ${c.overhead?.observerShare}`).toBe(c.overhead!.observerShare! <= 0.05 ? 'bounded' : 'unresolved');
        for (const h of c.hops.filter((x) => x.onPath)) expect(h.p99Us ?? NaN, `${t} ${p} ${h.hop}`).toBeGreaterThanOrEqual(h.p50Us ?? NaN);
      }
    }
    // the host baseline leaves from hostA's uplink; containers from their own interface
    expect(path('host')[0]).toBe('up tx → swa rx');
    // bridge: the container's veth, then the bridge forwards to the uplink
    expect(path('bridge')).toEqual(['c1 tx → c1h rx', 'c1h rx → up tx', 'up tx → swa rx', 'swa rx → swp tx', 'swp tx → peer rx']);
    // nat: the same veth, then routing through hostA's private bridge
    expect(path('nat').slice(0, 3)).toEqual(['c1 tx → c1h rx', 'c1h rx → dbr rx', 'dbr rx → up tx']);
    // ovs: the veth, then the OVS bridge's datapath, out of the uplink
    expect(path('ovs')[0]).toBe('c1 tx → c1h rx');
    expect(path('ovs').at(-1)).toBe('swp tx → peer rx');
    expect(path('ovs').some((h) => h.includes('dbr'))).toBe(false);
    // macvlan: straight from the child onto the uplink, no veth, no bridge
    expect(path('macvlan-bridge')[0]).toBe('c1 tx → up tx');
    expect(path('macvlan-bridge').some((h) => h.includes('c1h') || h.includes('dbr'))).toBe(false);
    // the way back ends on the macvlan's parent, whose receive hands the packet to the child
    expect(path('macvlan-bridge', 'peer-c1').at(-1)).toBe('swa tx → up rx');
    expect(path('nat', 'peer-c1').at(-1)).toBe('c1h tx → c1 rx');
    // traced trials are kept apart from the figures
    expect(results.trials.filter((t) => t.traced).length).toBe(5 * 2);
    expect(results.summary.find((s) => s.topology === 'bridge' && s.metric === 'tps' && s.path === 'c1-peer')!.n).toBe(1);
    // which location number was which interface is kept with the raw output
    const devices = JSON.parse(readFileSync(join(out, 'raw', 'nat-devices.json'), 'utf8')) as { role: string | null }[];
    expect(devices.map((d) => d.role)).toEqual(expect.arrayContaining(['c1', 'c1h', 'dbr', 'up', 'swa', 'swp', 'peer']));
    expect(ourNetns()).toEqual([]);
  });

  it('bpftrace, on the same topologies and paths, follows the same hops in the same order as the compiled observer', async () => {
    const out = scratchDir('trace-bpftrace');
    const r = await bench(['run', '--topology', 'bridge,nat,ovs,macvlan-bridge', '--workload', 'tcp-rr', '--path', 'c1-peer,peer-c1', '--trials', '1', '--traced', '1', '--duration', '0.25', '--warmup', '0', '--busy', 'keep', '--tracer', 'bpftrace', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const results = loadResults(out);
    expect(results.environment.tracing).toMatchObject({ tracer: 'bpftrace', why: 'named with --tracer' });
    expect(results.tracing?.backend).toBe('bpftrace');
    // bpftrace says nothing about its own cost
    expect(results.tracing?.cells.every((c) => c.observer === undefined)).toBe(true);
    expect(bothObservers.libbpf, 'the compiled observer\'s run above').toBeDefined();
    const compiled = pathsOf(bothObservers.libbpf!);
    const bt = pathsOf(out);
    expect([...compiled.keys()].sort()).toEqual([...bt.keys()].sort());
    for (const [cell, hops] of bt) expect(compiled.get(cell), cell).toEqual(hops);
    // the compiled observer's own cost is stated per cell, from the kernel's statistics
    for (const c of loadResults(bothObservers.libbpf!).tracing!.cells) {
      expect(c.observer, `${c.topology} ${c.path}`).toBeDefined();
      expect(c.observer!.events).toBeGreaterThan(c.packets);
      expect(c.observer!.sampledEvents).toBeGreaterThan(0);
      expect(c.observer!.statsNsPerEvent).toBeGreaterThan(0);
      expect(c.observer!.nsPerEvent).toBeGreaterThan(c.observer!.statsNsPerEvent!);
      // the dispatch the kernel does not time, measured by the loader, and the bound it gives on the traffic
      expect(c.observer!.attachNsPerEvent, `${c.topology} ${c.path}`).toBeGreaterThan(0);
      expect(c.observer!.trafficShare).toBeGreaterThan(0);
      expect(c.observer!.trafficShare).toBeLessThan(1);
      expect(c.overhead?.observerShare).toBe(c.observer!.trafficShare);
    }
    expect(ourNetns()).toEqual([]);
    expect(ourBpf()).toEqual([]);
  });

  it('the compiled observer is told apart by its hits: a packet not followed costs it nothing but the attach', async () => {
    const out = scratchDir('trace-attached-only');
    const r = await bench(['run', '--topology', 'bridge', '--workload', 'tcp-rr', '--path', 'c1-peer', '--trials', '1', '--traced', '1', '--duration', '0.25', '--warmup', '0', '--busy', 'keep', '--trace-variant', 'attached-only', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const results = loadResults(out);
    expect(results.tracing?.variant).toBe('attached-only');
    const c = results.tracing!.cells.find((x) => x.topology === 'bridge')!;
    // the probes fired but followed nothing
    expect(c.packets).toBe(0);
    expect(c.observer?.sampledEvents).toBeGreaterThan(0);
    expect(ourBpf()).toEqual([]);
  });

  it.each(['bpftrace', 'libbpf'])('one %s sampler serves a topology\'s traced trials in a row, its data split per trial', async (tracer) => {
    const out = scratchDir('trace-split');
    const r = await bench(['run', '--topology', 'bridge', '--workload', 'tcp-rr,tcp-stream', '--path', 'c1-peer', '--trials', '1', '--duration', '1', '--warmup', '0', '--busy', 'keep', '--tracer', tracer, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const results = loadResults(out);
    const traced = results.trials.filter((t) => t.traced && t.topology === 'bridge').sort((a, b) => a.index - b.index);
    expect(traced.map((t) => t.workload).sort()).toEqual(['tcp-rr', 'tcp-stream']);
    const raw = traced.map((t) => readFileSync(join(out, t.tracing!.raw!), 'utf8'));
    // each segment is one trial's maps, ended by the split marker; the sampler's start-up belongs to neither
    for (const text of raw) {
      expect(text).not.toContain('attached_probes');
      expect(text.trim().split('\n').at(-1)).toContain('netbench-split');
    }
    // each trial has its own packets: the stream's are many more than the request/response's
    for (const t of traced) expect(t.tracing!.packets, t.workload).toBeGreaterThan(100);
    const rr = traced.find((t) => t.workload === 'tcp-rr')!.tracing!.packets!;
    const stream = traced.find((t) => t.workload === 'tcp-stream')!.tracing!.packets!;
    expect(stream).not.toBe(rr);
    // the second trial did not pay the sampler's start-up: it took about its traffic's time
    expect(traced[1]!.durationMs).toBeLessThan(1500);
    // bpftrace's start-up (about 1.5 s) shows in the first trial; the compiled observer's takes well under that
    if (tracer === 'bpftrace') expect(traced[0]!.durationMs - traced[1]!.durationMs).toBeGreaterThan(500);
    // the compiled observer's segments each carry the kernel's statistics of that trial alone
    if (tracer === 'libbpf') for (const text of raw) expect(text.split('\n').filter((l) => l.includes('"observer"'))).toHaveLength(1);
    expect(ourNetns()).toEqual([]);
  });

  it('a compiled observer that cannot start says why, and is not left running', async () => {
    const r = await startSampler(new ExecaRunner(), ['not-a-number', '2', '0', '8192'], 20_000, LOADER);
    expect('error' in r).toBe(true);
    if (!('error' in r)) return;
    expect(r.error).toMatch(/the compiled observer did not attach: .*unexpected argument 'not-a-number'/);
    expect(procfs.startTime(r.proc!.pid)).toBeUndefined();
    expect(ourBpf()).toEqual([]);
  });

  it('a wrong tracepoint fails cleanly with bpftrace\'s reason', async () => {
    const dir = scratchDir('bt');
    const broken = join(dir, 'broken.bt');
    writeFileSync(broken, readFileSync(TRACE_PROGRAM, 'utf8').replace('tracepoint:net:netif_receive_skb\n', 'tracepoint:net:netif_receive_skb_no_such_event\n'));
    const started = Date.now();
    const r = await startSampler(new ExecaRunner(), bpftraceArgs(broken, { sender: 1, receiver: 2, receiver2: 0 }, 1), 20_000);
    expect('error' in r).toBe(true);
    if (!('error' in r)) return;
    expect(r.error).toMatch(/bpftrace did not attach: .*netif_receive_skb_no_such_event/);
    expect(Date.now() - started).toBeLessThan(20_000);
    // bpftrace started and failed to attach: the process it was is gone, not left running
    expect(r.proc?.pid, 'the sampler process that failed to attach').toBeTypeOf('number');
    expect(procfs.startTime(r.proc!.pid)).toBeUndefined();
  });
});
