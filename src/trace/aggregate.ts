/**
 * Fold per-trial bpftrace data into results: each traced trial gets its stack-latency
 * figures; results.tracing gets, per topology/workload/path, the merged distribution
 * (P50/P90/P99, CDF), the per-hop split along the path, drops, and the tracing overhead
 * (traced against untraced trials paired by block: results/overhead.ts). Pure.
 */
import { byCell } from '../results/cell.js';
import { isMeasured, OVERHEAD_MARGIN, overheadMeaning, overheadOf } from '../results/overhead.js';
import type { Cell, HopSummary, PeerTracing, PeerTracingCell, Results, SampledLatency, TracingCell, TracingSummary, TrialRecord, TrialTracing } from '../results/types.js';
import { observerCost, runAttachNs } from './observer.js';
import { type Bucket, cdf, mergeBuckets, percentile, type TraceData, total } from './parse.js';

export interface TrialTrace extends Cell {
  readonly index: number;
  /** the roles of the sending and receiving interfaces ("c1", "peer") */
  readonly sender: string;
  readonly receiver: string;
  readonly sample: number;
  readonly raw: string | null;
  readonly data?: TraceData;
  readonly error?: string;
}

export interface TracingMeta {
  readonly program: string;
  readonly backend?: 'libbpf' | 'bpftrace';
  readonly variant?: string;
  readonly available: boolean;
  readonly reason: string | null;
  /** a real-host run: the peer machine's sampler, and what it saw per traced trial */
  readonly peer?: { readonly program: string; readonly available: boolean; readonly reason: string | null; readonly traces: readonly PeerTrace[] };
}

/** One traced trial's part on the peer machine (bench/trace/peer-half.bt). */
export interface PeerTrace extends Cell {
  readonly index: number;
  readonly direction: 'in' | 'out';
  /** the peer's test NIC */
  readonly nic: string;
  readonly sample: number;
  readonly raw: string | null;
  readonly data?: TraceData;
  readonly error?: string;
}

const EV = ['', 'tx', 'rx-queue', 'rx'];
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const withData = <T extends { data?: TraceData }>(ts: readonly T[]) => ts.filter((t): t is T & { data: TraceData } => t.data !== undefined && total(t.data.e2e) > 0);

/** "c1h rx": the parser has already named the device by its role (trace/tracer.ts). */
function label(dev: string, ev: number): string {
  return `${dev} ${EV[ev] ?? ev}`.trimEnd();
}

/** Order hops along the path: from `start`, follow the busiest next hop. */
function orderHops(hops: readonly { from: string; to: string; packets: number }[], start: string): Map<string, number> {
  const order = new Map<string, number>();
  let at = start;
  for (let i = 0; i < hops.length; i++) {
    const next = hops.filter((h) => h.from === at && !order.has(`${h.from}>${h.to}`)).sort((a, b) => b.packets - a.packets)[0];
    if (!next) break;
    order.set(`${next.from}>${next.to}`, i);
    at = next.to;
  }
  return order;
}

/** Every hop of a cell's traced trials, merged across trials and ordered along the path. */
function hopSummaries(ok: readonly (TrialTrace & { data: TraceData })[], first: TrialTrace, delivered: number): HopSummary[] {
  const hopMap = new Map<string, { from: string; to: string; buckets: Bucket[][]; sumNs: number }>();
  for (const t of ok) {
    for (const h of t.data.hops) {
      const from = label(h.fromDev, h.fromEv);
      const to = label(h.toDev, h.toEv);
      const cur = hopMap.get(`${from}>${to}`) ?? { from, to, buckets: [], sumNs: 0 };
      cur.buckets.push([...h.buckets]);
      cur.sumNs += h.sumNs;
      hopMap.set(`${from}>${to}`, cur);
    }
  }
  const merged = [...hopMap.values()].map((h) => ({ ...h, b: mergeBuckets(h.buckets), packets: total(mergeBuckets(h.buckets)) }));
  // from the sender's transmit; where the journey starts elsewhere (at a real-host run's
  // test NIC, on the way in), from the busiest place that no hop leads to
  const sources = merged.filter((h) => !merged.some((x) => x.to === h.from)).sort((a, b) => b.packets - a.packets);
  const start = merged.some((h) => h.from === label(first.sender, 1)) ? label(first.sender, 1) : (sources[0]?.from ?? label(first.sender, 1));
  const order = orderHops(merged, start);
  return merged
    .map((h) => {
      const o = order.get(`${h.from}>${h.to}`);
      return { hop: `${h.from} → ${h.to}`, order: o ?? 1000, onPath: o !== undefined, packets: h.packets, p50Us: finite(percentile(h.b, 0.5)), p99Us: finite(percentile(h.b, 0.99)), meanUs: h.packets ? h.sumNs / h.packets / 1000 : null, shareUs: delivered ? h.sumNs / delivered / 1000 : null };
    })
    .sort((a, b) => a.order - b.order || b.packets - a.packets);
}

function mergedDrops(ok: readonly { data: TraceData }[]): { dev: string; reason: number; count: number }[] {
  const drops = new Map<string, { dev: string; reason: number; count: number }>();
  for (const d of ok.flatMap((t) => t.data.drops)) {
    const where = label(d.dev, d.ev);
    const k = `${where}|${d.reason}`;
    drops.set(k, { dev: where, reason: d.reason, count: (drops.get(k)?.count ?? 0) + d.count });
  }
  return [...drops.values()];
}

/** What the peer's one step is, in words. */
export function peerStep(direction: 'in' | 'out', nic: string): string {
  return direction === 'in' ? `${nic} rx → application (first copy to the socket's reader)` : `${nic} queued → handed to the driver`;
}

/** A cell's merged journey from its traced trials: its distribution, mean and drops (SampledLatency). */
function sampledLatency<T extends { readonly sample: number; readonly error?: string; readonly data?: TraceData }>(ts: readonly T[]): SampledLatency & { readonly ok: readonly (T & { data: TraceData })[] } {
  const ok = withData(ts);
  const e2e = mergeBuckets(ok.map((t) => t.data.e2e));
  const log = mergeBuckets(ok.map((t) => t.data.e2eLog));
  const n = total(e2e);
  return {
    ok,
    tracedTrials: ts.length,
    errors: ts.flatMap((t) => (t.error ? [t.error] : [])),
    sample: ts[0]!.sample,
    packets: n,
    p50Us: finite(percentile(e2e, 0.5, log)),
    p90Us: finite(percentile(e2e, 0.9, log)),
    p99Us: finite(percentile(e2e, 0.99, log)),
    meanUs: n ? ok.reduce((s, t) => s + t.data.e2eSumNs, 0) / n / 1000 : null,
    drops: mergedDrops(ok),
  };
}

function peerCell(ts: readonly PeerTrace[]): PeerTracingCell {
  const first = ts[0]!;
  const { ok: _ok, ...figures } = sampledLatency(ts);
  return { topology: first.topology, workload: first.workload, path: first.path, direction: first.direction, step: peerStep(first.direction, first.nic), ...figures };
}

/** A trial's figures from one sampler's data. */
function trialFigures(t: { raw: string | null; error?: string; data?: TraceData }): Omit<TrialTracing, 'peer'> {
  const e2e = t.data?.e2e ?? [];
  const log = t.data?.e2eLog ?? [];
  return { raw: t.raw, ...(t.error ? { error: t.error } : {}), packets: total(e2e), p50Us: finite(percentile(e2e, 0.5, log)), p99Us: finite(percentile(e2e, 0.99, log)) };
}

function tracingCell(trials: readonly TrialRecord[], ts: readonly TrialTrace[], durationS: number, attachNs: number | null): TracingCell {
  const first = ts[0]!;
  const cell: Cell = { topology: first.topology, workload: first.workload, path: first.path };
  const { ok, ...figures } = sampledLatency(ts);
  const hops = hopSummaries(ok, first, figures.packets);
  const observer = observerCost(ts, trials, figures.packets, durationS, attachNs);
  return { ...cell, ...figures, hops, hopMeanSumUs: hops.reduce((s, h) => s + (h.shareUs ?? 0), 0), overhead: overheadOf(trials, cell, OVERHEAD_MARGIN, observer?.trafficShare ?? null), ...(observer ? { observer } : {}) };
}

/** One line for the overhead, however many cells it touched: the per-cell figures are in tracing.overhead. */
function tracingCaveats(cells: readonly TracingCell[]): string[] {
  const out: string[] = [];
  const bounds = cells.filter((c) => !isMeasured(c.overhead));
  if (bounds.length === 1) out.push(`tracing ${bounds[0]!.topology} ${bounds[0]!.workload} ${bounds[0]!.path}: ${overheadMeaning(bounds[0]!.overhead)}`);
  else if (bounds.length > 1) {
    const ratios = bounds.flatMap((c) => (c.overhead?.ratio != null ? [c.overhead.ratio] : []));
    const range = ratios.length ? ` (traced/untraced ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : '';
    out.push(`tracing was not shown to change the traffic by less than 5% in ${bounds.length} of ${cells.length} traced cells${range}, neither by the traffic nor by the observer's own time: their per-packet figures are upper bounds; every other figure comes from untraced trials`);
  }
  // one line per reason, naming every cell it hit (a real-host run has several cells with no step on this machine)
  const byReason = new Map<string, string[]>();
  for (const c of cells) if (c.errors.length) byReason.set(c.errors[0]!, [...(byReason.get(c.errors[0]!) ?? []), `${c.topology} ${c.workload} ${c.path}`]);
  for (const [why, where] of byReason) out.push(`tracing ${where.join(', ')}: ${why}`);
  return out;
}

/** The peer's cells, and one caveat per reason a peer trial was not traced. */
function peerSummary(meta: NonNullable<TracingMeta['peer']>, order: (a: Cell, b: Cell) => number): { peer: PeerTracing; caveats: string[] } {
  const cells = [...byCell(meta.traces).values()].map(peerCell).sort(order);
  const caveats: string[] = [];
  if (!meta.available) caveats.push(`the peer machine was not traced: ${meta.reason ?? 'unavailable'}; its figures are this machine's alone`);
  const byReason = new Map<string, string[]>();
  for (const c of cells) if (c.errors.length) byReason.set(c.errors[0]!, [...(byReason.get(c.errors[0]!) ?? []), `${c.topology} ${c.workload} ${c.path}`]);
  for (const [why, where] of byReason) caveats.push(`tracing on the peer, ${where.join(', ')}: ${why}`);
  if (cells.some((c) => c.packets > 0)) caveats.push("per-packet times are given per machine, each on its own clock: the two machines' clocks were not shown to be synchronised, so no one-way time across the wire is claimed");
  return { peer: { program: meta.program.replace(/^.*\/bench\//, 'bench/'), available: meta.available, reason: meta.reason, cells }, caveats };
}

export function aggregateTracing(results: Results, traces: readonly TrialTrace[], meta: TracingMeta): Results {
  const byIndex = new Map(traces.map((t) => [t.index, t]));
  const peerByIndex = new Map((meta.peer?.traces ?? []).map((t) => [t.index, t]));
  const trials = results.trials.map((t): TrialRecord => {
    const tr = byIndex.get(t.index);
    if (!tr) return t;
    const pt = peerByIndex.get(t.index);
    return { ...t, tracing: { ...trialFigures(tr), ...(pt ? { peer: trialFigures(pt) } : {}) } };
  });
  const rank = new Map(results.config.topologies.map((t, i) => [t, i]));
  const wrank = new Map(results.config.workloads.map((w, i) => [w, i]));
  const order = (a: Cell, b: Cell) => (rank.get(a.topology) ?? 99) - (rank.get(b.topology) ?? 99) || (wrank.get(a.workload) ?? 99) - (wrank.get(b.workload) ?? 99) || a.path.localeCompare(b.path);
  const groups = [...byCell(traces).values()];
  // the dispatch is one mechanism for every cell: the run's loaders' median, steadier than any one loader's start
  const attachNs = runAttachNs(traces);
  const cells = groups.map((ts) => tracingCell(results.trials, ts, results.config.durationS, attachNs));
  cells.sort(order);
  const peer = meta.peer ? peerSummary(meta.peer, order) : undefined;
  const tracing: TracingSummary = {
    program: meta.program.replace(/^.*\/bench\//, 'bench/'),
    ...(meta.backend ? { backend: meta.backend } : {}),
    ...(meta.variant ? { variant: meta.variant } : {}),
    available: meta.available,
    reason: meta.reason,
    cells,
    cdf: cells.flatMap((c) => {
      const ok = withData(traces.filter((t) => t.topology === c.topology && t.workload === c.workload && t.path === c.path));
      return cdf(mergeBuckets(ok.map((t) => t.data.e2e))).map((p) => ({ topology: c.topology, workload: c.workload, path: c.path, ...p }));
    }),
    hops: cells.flatMap((c) => c.hops.map((h) => ({ topology: c.topology, workload: c.workload, path: c.path, hop: h.hop, order: h.order, medianUs: h.p50Us, p99Us: h.p99Us, meanUs: h.shareUs, packets: h.packets }))),
    overhead: cells.flatMap((c) => (c.overhead ? [c.overhead] : [])),
    ...(peer ? { peer: peer.peer } : {}),
  };
  return { ...results, trials, caveats: [...results.caveats, ...tracingCaveats(cells), ...(peer?.caveats ?? [])], tracing };
}
