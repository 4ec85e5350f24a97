/**
 * bpftrace -f json output of bench/trace/path-latency.bt: one JSON object per line
 * (attach notice, printf, then each map at a split). Parsed into histograms and counts;
 * the program's location numbers become interface names through `name` (trace/devices.ts).
 */
import { splitLocation } from './devices.js';

/** One linear bucket: [lowUs, lowUs+1) µs; the overflow bucket has no upper bound. */
export interface Bucket {
  readonly lowUs: number;
  readonly highUs: number | null;
  readonly count: number;
}

export interface HopData {
  readonly fromDev: string;
  readonly fromEv: number;
  readonly toDev: string;
  readonly toEv: number;
  readonly buckets: readonly Bucket[];
  readonly sumNs: number;
}

/** One BPF program over a trial: its hits as it counted them, and the kernel's run count and run time while the statistics were on (bpf_enable_stats). */
export interface ProgramStats {
  readonly name: string;
  /** every hit, counted by the program itself (0 for the attached-only variant, which counts nothing) */
  readonly events: number;
  readonly runCnt: number;
  readonly runTimeNs: number;
}

/** What the compiled observer says about itself over one trial (trace/libbpf.ts); bpftrace says nothing. */
export interface ObserverStats {
  readonly backend: 'libbpf';
  /** whether the kernel's run-time statistics were on at all (they cost two clock reads per event) */
  readonly stats: boolean;
  /** the share of the trial's time they were on: about 0.1 when sampled (20 ms in every 200 ms), 1 when always on */
  readonly statsShare: number;
  /** one read of the kernel clock, measured by the loader at start; null when it could not be */
  readonly clockReadNs: number | null;
  /**
   * What one event costs outside the program, which the kernel's statistics do not time:
   * the tracepoint's call into BPF and a program that returns at once, measured by the
   * loader at start (loader.c, attach_ns); null when it could not be, or from a loader
   * that did not measure it
   */
  readonly attachNs: number | null;
  readonly programs: readonly ProgramStats[];
}

export interface TraceData {
  readonly attachedProbes: number;
  readonly ready: boolean;
  readonly e2e: readonly Bucket[];
  /** power-of-two buckets, for percentiles beyond the linear range */
  readonly e2eLog: readonly Bucket[];
  readonly e2eSumNs: number;
  readonly hops: readonly HopData[];
  /** drops of followed packets: the last place each was seen, and the kernel's reason */
  readonly drops: readonly { dev: string; ev: number; reason: number; count: number }[];
  readonly errors: readonly string[];
  readonly observer?: ObserverStats;
}

interface Line {
  type: string;
  data: unknown;
}

function buckets(raw: unknown): Bucket[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((b: { min?: number; max?: number; count?: number }) => ({ lowUs: b.min ?? 0, highUs: b.max === undefined ? null : b.max + 1, count: b.count ?? 0 }));
}

/** Names an interface from its location number (event part 0); the number itself when unknown. */
export type DeviceNamer = (device: number) => string;

export function parseBpftrace(stdout: string, name: DeviceNamer = String): TraceData {
  const place = (loc: string): { dev: string; ev: number } => {
    const { device, event } = splitLocation(Number(loc));
    return { dev: name(device), ev: event };
  };
  let attachedProbes = 0;
  let ready = false;
  let e2e: Bucket[] = [];
  let e2eLog: Bucket[] = [];
  let e2eSumNs = 0;
  const hopHists = new Map<string, Bucket[]>();
  const hopSums = new Map<string, number>();
  const drops: TraceData['drops'][number][] = [];
  const errors: string[] = [];
  for (const text of stdout.split('\n')) {
    if (!text.trim().startsWith('{')) continue;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      errors.push(`unreadable line: ${text.slice(0, 80)}`);
      continue;
    }
    const data = line.data as Record<string, unknown>;
    if (line.type === 'attached_probes') attachedProbes = (data as { probes?: number }).probes ?? 0;
    else if (line.type === 'printf' && String(line.data).includes('netbench-tracing-ready')) ready = true;
    else if (line.type === 'hist') {
      if ('@e2e' in data) e2e = buckets(data['@e2e']);
      if ('@e2elog' in data) e2eLog = buckets(data['@e2elog']);
      if ('@hop' in data) for (const [k, v] of Object.entries(data['@hop'] as Record<string, unknown>)) hopHists.set(k, buckets(v));
    } else if (line.type === 'map') {
      if ('@e2esum' in data) e2eSumNs = Number(data['@e2esum']);
      if ('@hopsum' in data) for (const [k, v] of Object.entries(data['@hopsum'] as Record<string, number>)) hopSums.set(k, Number(v));
      if ('@drops' in data) for (const [k, v] of Object.entries(data['@drops'] as Record<string, number>)) {
        const [loc = '0', reason = '0'] = k.split(',');
        drops.push({ ...place(loc), reason: Number(reason), count: Number(v) });
      }
    }
  }
  const hops: HopData[] = [...hopHists.entries()].map(([k, b]) => {
    const [from = '0', to = '0'] = k.split(',');
    const f = place(from);
    const t = place(to);
    return { fromDev: f.dev, fromEv: f.ev, toDev: t.dev, toEv: t.ev, buckets: b, sumNs: hopSums.get(k) ?? 0 };
  });
  return { attachedProbes, ready, e2e, e2eLog, e2eSumNs, hops, drops, errors };
}

export function total(b: readonly Bucket[]): number {
  return b.reduce((s, x) => s + x.count, 0);
}

/**
 * Percentile from linear buckets (midpoint of the bucket holding it). When it falls in
 * the overflow bucket, the power-of-two histogram (if given) places it instead.
 */
export function percentile(b: readonly Bucket[], q: number, log: readonly Bucket[] = []): number {
  const n = total(b);
  if (n === 0) return NaN;
  const target = q * n;
  let acc = 0;
  for (const x of [...b].sort((u, v) => u.lowUs - v.lowUs)) {
    acc += x.count;
    if (acc >= target) {
      if (x.highUs !== null) return (x.lowUs + x.highUs) / 2;
      return log.length ? percentile(log, q) : x.lowUs;
    }
  }
  return b[b.length - 1]!.lowUs;
}

export function mergeBuckets(lists: readonly (readonly Bucket[])[]): Bucket[] {
  const m = new Map<string, Bucket>();
  for (const l of lists) for (const x of l) {
    const k = `${x.lowUs}:${x.highUs}`;
    const prev = m.get(k);
    m.set(k, { ...x, count: (prev?.count ?? 0) + x.count });
  }
  return [...m.values()].sort((u, v) => u.lowUs - v.lowUs);
}

/** Points of the empirical CDF, one per bucket. */
export function cdf(b: readonly Bucket[]): { latencyUs: number; fraction: number }[] {
  const n = total(b);
  let acc = 0;
  // empty buckets do not move a step function: leave them out
  return [...b]
    .sort((u, v) => u.lowUs - v.lowUs)
    .filter((x) => x.count > 0)
    .map((x) => {
      acc += x.count;
      return { latencyUs: x.highUs ?? x.lowUs, fraction: n ? acc / n : 0 };
    });
}
