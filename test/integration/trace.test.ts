/**
 * bpftrace on real traffic: the hops it sees are the topology's path, the hops add up
 * to the journey, and a wrong tracepoint fails cleanly instead of hanging a run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { procfs } from '../../src/lab/processes.js';
import { loadResults } from '../../src/results/validate.js';
import { STACK_PROGRAM, startSampler, tracingUnavailable } from '../../src/trace/tracer.js';
import { bench, ourNetns } from './helpers.js';

describe('tracing', () => {
  it('is available on this machine (bpftrace, BTF, tracefs)', () => {
    expect(tracingUnavailable()).toBeUndefined();
  });

  it('follows packets hop by hop along each topology\'s own path', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nb-trace-'));
    const r = await bench(['run', '--topology', 'bridge,nat,macvlan-bridge', '--workload', 'tcp-rr', '--path', 'c1-peer', '--trials', '2', '--duration', '1', '--warmup', '0', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // loadResults validates against the schema
    const results = loadResults(out);
    expect(results.environment.tracing).toEqual({ enabled: true, available: true, reason: null });
    const cells = results.tracing?.cells ?? [];
    const cell = (t: string) => cells.find((c) => c.topology === t)!;
    const path = (t: string) => cell(t).hops.filter((h) => h.onPath).map((h) => h.hop);
    for (const t of ['host', 'bridge', 'nat', 'macvlan-bridge']) {
      const c = cell(t);
      expect(c.errors, t).toEqual([]);
      expect(c.packets, t).toBeGreaterThan(1000);
      expect(c.p50Us ?? NaN).toBeGreaterThan(0);
      expect(c.p99Us ?? NaN).toBeGreaterThanOrEqual(c.p50Us ?? NaN);
      // every followed packet arrived, so the hops' shares add up to the mean journey
      const mean = c.meanUs ?? NaN;
      expect(Math.abs(c.hopMeanSumUs - mean) / mean, t).toBeLessThan(0.05);
      expect(c.overhead?.metric).toBe('tps');
    }
    // the host baseline leaves from hostA's uplink; containers from their own interface
    expect(path('host')[0]).toBe('up tx → swa rx-queue');
    // bridge: the container's veth, then the bridge forwards to the uplink
    expect(path('bridge').slice(0, 3)).toEqual(['c1 tx → c1h rx-queue', 'c1h rx-queue → c1h rx', 'c1h rx → up tx']);
    // nat: the same veth, then routing through hostA's private bridge
    expect(path('nat')).toContain('c1h rx → dbr rx');
    // macvlan: straight from the child onto the uplink, no veth, no bridge
    expect(path('macvlan-bridge')[0]).toBe('c1 tx → up tx');
    expect(path('macvlan-bridge').some((h) => h.includes('c1h') || h.includes('dbr'))).toBe(false);
    // traced trials are kept apart from the figures
    expect(results.trials.filter((t) => t.traced).length).toBe(4);
    expect(results.summary.find((s) => s.topology === 'bridge' && s.metric === 'tps')!.n).toBe(2);
    expect(ourNetns()).toEqual([]);
  });

  it('one sampler serves a topology\'s traced trials in a row, its data split per trial', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nb-trace-split-'));
    const r = await bench(['run', '--topology', 'bridge', '--workload', 'tcp-rr,tcp-stream', '--path', 'c1-peer', '--trials', '1', '--duration', '1', '--warmup', '0', '--out', out]);
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
    // the second trial did not pay the sampler's start-up (about 1.5 s): it took about its traffic's time
    expect(traced[1]!.durationMs).toBeLessThan(1500);
    expect(traced[0]!.durationMs - traced[1]!.durationMs).toBeGreaterThan(500);
    expect(ourNetns()).toEqual([]);
  });

  it('a wrong tracepoint fails cleanly with bpftrace\'s reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-bt-'));
    const broken = join(dir, 'broken.bt');
    writeFileSync(broken, readFileSync(STACK_PROGRAM, 'utf8').replace('tracepoint:net:netif_rx\n', 'tracepoint:net:netif_rx_no_such_event\n'));
    const started = Date.now();
    const r = await startSampler(new ExecaRunner(), ['-f', 'json', broken, 'zzzza', 'zzzza-c1', 'zzzza-peer', '1', '5'], 20_000);
    expect('error' in r).toBe(true);
    if (!('error' in r)) return;
    expect(r.error).toMatch(/bpftrace did not attach: .*netif_rx_no_such_event/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const pid = r.proc?.pid;
    if (pid) expect(procfs.startTime(pid)).toBeUndefined();
  });
});
