/**
 * The compiled observer (bench/trace/bpf): a CO-RE program on BTF tracepoints and its
 * libbpf loader, `netbench-trace`. It takes the bpftrace program's arguments and follows
 * the same packets through the same places, but keeps its maps raw: one entry per (step,
 * slot) with a count and a sum, which this module folds into the figures the bpftrace
 * parser gives (trace/parse.ts), so that aggregation, reports, path diagrams and CDFs do
 * not depend on which observer ran. It also reads the kernel's own statistics of the
 * programs (run count and run time), the observer's cost per event.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR } from '../locations.js';
import { splitLocation } from './devices.js';
import { type Bucket, type DeviceNamer, type ObserverStats, parseBpftrace, type ProgramStats, type TraceData } from './parse.js';

export const BPF_DIR = join(BENCH_DIR, 'trace', 'bpf');
export const LOADER = join(BPF_DIR, 'build', 'netbench-trace');
/** what results name as the program: the BPF source */
export const BPF_PROGRAM = join(BPF_DIR, 'path-latency.bpf.c');
export const BTF = '/sys/kernel/btf/vmlinux';

/** Linear 1 µs slots below this (the bpftrace program's lhist range); then one slot per power of two. */
export const LINEAR_US = 1000;

/**
 * Variants of the compiled observer, for measuring its cost: full (the statistics on a
 * tenth of the time), the same probes returning at once, without the statistics, or with
 * them on through every traced trial.
 */
export const LIBBPF_VARIANTS = ['full', 'attached-only', 'no-stats', 'stats-always'] as const;
export type LibbpfVariant = (typeof LIBBPF_VARIANTS)[number];

/** Why the compiled observer cannot run here, or undefined when it can. */
export function libbpfUnavailable(btf = BTF, loader = LOADER): string | undefined {
  if (!existsSync(btf)) return `the kernel has no BTF (${btf}): BTF tracepoints cannot be attached`;
  if (!existsSync(loader)) return `the compiled observer is not built (${loader.replace(/^.*\/bench\//, 'bench/')}; scripts/setup.sh builds it with make -C bench/trace/bpf)`;
  return undefined;
}

/** The loader's arguments: the variant's flag, then sender, receivers and sample threshold as for bpftrace. */
export function libbpfArgs(ends: { readonly sender: number; readonly receiver: number; readonly receiver2: number }, keep: number, variant: LibbpfVariant = 'full'): string[] {
  const flag = variant === 'full' ? [] : [`--${variant}`];
  return [...flag, String(ends.sender), String(ends.receiver), String(ends.receiver2), String(keep)];
}

/** The slot of a time in µs: its own below LINEAR_US, else LINEAR_US + floor(log2). */
export function slotOf(us: number): number {
  return us < LINEAR_US ? Math.floor(us) : LINEAR_US + Math.floor(Math.log2(us));
}

/** A slot's range in µs, as the linear histogram has it: [low, high); the overflow slots have no upper bound there. */
function linearBucket(slot: number): { lowUs: number; highUs: number | null } {
  return slot < LINEAR_US ? { lowUs: slot, highUs: slot + 1 } : { lowUs: LINEAR_US, highUs: null };
}

/** A slot's power-of-two bucket, as bpftrace's hist has it: [0], [1], [2, 4), [4, 8), … */
function logBucket(slot: number): { lowUs: number; highUs: number } {
  const us = slot < LINEAR_US ? slot : 2 ** (slot - LINEAR_US);
  if (us < 1) return { lowUs: 0, highUs: 1 };
  const low = 2 ** Math.floor(Math.log2(us));
  return { lowUs: low, highUs: low * 2 };
}

function addTo(m: Map<string, Bucket>, b: { lowUs: number; highUs: number | null }, count: number): void {
  const k = `${b.lowUs}:${b.highUs}`;
  m.set(k, { ...b, count: (m.get(k)?.count ?? 0) + count });
}

const sorted = (m: Map<string, Bucket>): Bucket[] => [...m.values()].sort((a, b) => a.lowUs - b.lowUs);

type Row = readonly number[];

function rows(data: unknown, width: number): Row[] {
  if (!Array.isArray(data)) return [];
  return data.filter((r): r is number[] => Array.isArray(r) && r.length === width && r.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0));
}

function observerOf(data: unknown): ObserverStats | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { stats?: unknown; statsShare?: unknown; clockReadNs?: unknown; attachNs?: unknown; programs?: unknown };
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
  const programs = Array.isArray(d.programs)
    ? d.programs.flatMap((p: unknown) => {
        const q = p as { name?: unknown; events?: unknown; runCnt?: unknown; runTimeNs?: unknown };
        const [events, runCnt, runTimeNs] = [num(q?.events), num(q?.runCnt), num(q?.runTimeNs)];
        return typeof q?.name === 'string' && events !== undefined && runCnt !== undefined && runTimeNs !== undefined ? [{ name: q.name, events, runCnt, runTimeNs }] : [];
      })
    : [];
  return { backend: 'libbpf', stats: d.stats === true, statsShare: num(d.statsShare) ?? 0, clockReadNs: num(d.clockReadNs) ?? null, attachNs: num(d.attachNs) ?? null, programs };
}

/**
 * The loader's output for one trial (or more: each kind of line is added up) as the
 * figures the bpftrace parser gives: the end-to-end linear and power-of-two histograms
 * and sum, each step's histogram and sum, drops, and the observer's own statistics.
 */
export function parseLoader(stdout: string, name: DeviceNamer = String): TraceData {
  // the lines both observers share (attach notice, ready, errors) are read by the bpftrace parser
  const base = parseBpftrace(stdout.split('\n').filter((l) => /"type":\s*"(attached_probes|printf)"/.test(l)).join('\n'), name);
  const place = (loc: number) => {
    const { device, event } = splitLocation(loc);
    return { dev: name(device), ev: event };
  };
  const e2e = new Map<string, Bucket>();
  const e2eLog = new Map<string, Bucket>();
  let e2eSumNs = 0;
  const hops = new Map<string, { from: number; to: number; buckets: Map<string, Bucket>; sumNs: number }>();
  const drops = new Map<string, { loc: number; reason: number; count: number }>();
  const errors = [...base.errors];
  let observer: ObserverStats | undefined;
  for (const text of stdout.split('\n')) {
    if (!/"type":\s*"(slots|drops|observer)"/.test(text)) continue;
    let line: { type: string; data: unknown };
    try {
      line = JSON.parse(text) as { type: string; data: unknown };
    } catch {
      errors.push(`unreadable line: ${text.slice(0, 80)}`);
      continue;
    }
    if (line.type === 'slots') {
      for (const [from, to, slot, count, sum] of rows(line.data, 5) as [number, number, number, number, number][]) {
        if (from === 0) {
          addTo(e2e, linearBucket(slot), count);
          addTo(e2eLog, logBucket(slot), count);
          e2eSumNs += sum;
          continue;
        }
        const k = `${from},${to}`;
        const hop = hops.get(k) ?? { from, to, buckets: new Map<string, Bucket>(), sumNs: 0 };
        addTo(hop.buckets, linearBucket(slot), count);
        hop.sumNs += sum;
        hops.set(k, hop);
      }
    } else if (line.type === 'drops') {
      for (const [loc, reason, count] of rows(line.data, 3) as [number, number, number][]) {
        const k = `${loc},${reason}`;
        drops.set(k, { loc, reason, count: (drops.get(k)?.count ?? 0) + count });
      }
    } else {
      const o = observerOf(line.data);
      if (o) observer = observer ? { ...o, statsShare: (observer.statsShare + o.statsShare) / 2, programs: mergePrograms(observer.programs, o.programs) } : o;
    }
  }
  return {
    ...base,
    e2e: sorted(e2e),
    e2eLog: sorted(e2eLog),
    e2eSumNs,
    hops: [...hops.values()].map((h) => {
      const f = place(h.from);
      const t = place(h.to);
      return { fromDev: f.dev, fromEv: f.ev, toDev: t.dev, toEv: t.ev, buckets: sorted(h.buckets), sumNs: h.sumNs };
    }),
    drops: [...drops.values()].map((d) => ({ ...place(d.loc), reason: d.reason, count: d.count })),
    errors,
    ...(observer ? { observer } : {}),
  };
}

function mergePrograms(a: readonly ProgramStats[], b: readonly ProgramStats[]): ProgramStats[] {
  const m = new Map(a.map((p) => [p.name, p]));
  for (const p of b) {
    const q = m.get(p.name);
    m.set(p.name, q ? { name: p.name, events: q.events + p.events, runCnt: q.runCnt + p.runCnt, runTimeNs: q.runTimeNs + p.runTimeNs } : p);
  }
  return [...m.values()];
}
