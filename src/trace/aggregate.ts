/**
 * Fold per-trial bpftrace data into results: each traced trial gets its stack-latency
 * figures; results.tracing gets, per topology/workload/path, the merged distribution
 * (P50/P90/P99, CDF), the per-hop split along the path, drops, and the tracing overhead
 * (traced against untraced trials of the same run). Pure.
 */
import { median } from '../stats/summary.js';
import type { Results, TrialRecord } from '../results/types.js';
import { WORKLOADS, type WorkloadName } from '../workloads/registry.js';
import { type Bucket, cdf, mergeBuckets, percentile, type TraceData, total } from './parse.js';

export interface TrialTrace {
  readonly index: number;
  readonly topology: string;
  readonly workload: string;
  readonly path: string;
  readonly sender: string;
  readonly receiver: string;
  readonly roles: Readonly<Record<string, string>>;
  readonly sample: number;
  readonly raw: string | null;
  readonly data?: TraceData;
  readonly error?: string;
}

const EV = ['', 'tx', 'rx-queue', 'rx'];

export interface HopSummary {
  readonly hop: string;
  readonly order: number;
  readonly onPath: boolean;
  readonly packets: number;
  readonly p50Us: number;
  readonly meanUs: number;
  /** this hop's time per packet delivered end to end: the shares add up to the mean journey */
  readonly shareUs: number;
}

export interface TracingCell {
  readonly topology: string;
  readonly workload: string;
  readonly path: string;
  readonly tracedTrials: number;
  readonly errors: readonly string[];
  readonly sample: number;
  readonly packets: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
  readonly hops: readonly HopSummary[];
  /** sum of every hop's share, to set beside meanUs (equal when every followed packet arrived) */
  readonly hopMeanSumUs: number;
  readonly drops: readonly { dev: string; reason: number; count: number }[];
  readonly overhead: Overhead | null;
}

export interface Overhead {
  readonly topology: string;
  readonly workload: string;
  readonly path: string;
  readonly metric: string;
  readonly tracedMedian: number;
  readonly untracedMedian: number;
  readonly ratio: number;
  readonly flagged: boolean;
}

function label(roles: Readonly<Record<string, string>>, dev: string, ev: number): string {
  return `${roles[dev] ?? dev} ${EV[ev] ?? ev}`;
}

/** Order hops along the path: from the sender's transmit, follow the busiest next hop. */
function orderHops(hops: { from: string; to: string; packets: number }[], start: string): Map<string, number> {
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

function overheadFor(trials: readonly TrialRecord[], topology: string, workload: string, path: string): Overhead | null {
  const metric = WORKLOADS[workload as WorkloadName]?.primary;
  if (!metric) return null;
  const vals = (traced: boolean) =>
    trials.filter((t) => !t.warmup && t.status === 'ok' && t.traced === traced && t.topology === topology && t.workload === workload && t.path === path).map((t) => t.metrics[metric]?.value).filter((v): v is number => v !== undefined);
  const tr = vals(true);
  const un = vals(false);
  if (tr.length === 0 || un.length === 0) return null;
  const tm = median(tr);
  const um = median(un);
  return { topology, workload, path, metric, tracedMedian: tm, untracedMedian: um, ratio: tm / um, flagged: tm < Math.min(...un) || tm > Math.max(...un) };
}

export function aggregateTracing(results: Results, traces: readonly TrialTrace[], meta: { program: string; available: boolean; reason: string | null }): Results {
  const byIndex = new Map(traces.map((t) => [t.index, t]));
  const trials = results.trials.map((t) => {
    const tr = byIndex.get(t.index);
    if (!tr) return t;
    const e2e = tr.data?.e2e ?? [];
    return {
      ...t,
      tracing: {
        raw: tr.raw,
        ...(tr.error ? { error: tr.error } : {}),
        packets: total(e2e),
        p50Us: percentile(e2e, 0.5, tr.data?.e2eLog ?? []),
        p99Us: percentile(e2e, 0.99, tr.data?.e2eLog ?? []),
      },
    } as TrialRecord;
  });
  const groups = new Map<string, TrialTrace[]>();
  for (const t of traces) groups.set(`${t.topology}|${t.workload}|${t.path}`, [...(groups.get(`${t.topology}|${t.workload}|${t.path}`) ?? []), t]);
  const cells: TracingCell[] = [];
  for (const ts of groups.values()) {
    const first = ts[0]!;
    const ok = ts.filter((t) => t.data && total(t.data.e2e) > 0);
    const e2e: Bucket[] = mergeBuckets(ok.map((t) => t.data!.e2e));
    const e2eLog: Bucket[] = mergeBuckets(ok.map((t) => t.data!.e2eLog));
    const n = total(e2e);
    const e2eSum = ok.reduce((s, t) => s + t.data!.e2eSumNs, 0);
    const hopMap = new Map<string, { from: string; to: string; buckets: Bucket[][]; sumNs: number }>();
    for (const t of ok) {
      for (const h of t.data!.hops) {
        const from = label(t.roles, h.fromDev, h.fromEv);
        const to = label(t.roles, h.toDev, h.toEv);
        const k = `${from}>${to}`;
        const cur = hopMap.get(k) ?? { from, to, buckets: [], sumNs: 0 };
        cur.buckets.push([...h.buckets]);
        cur.sumNs += h.sumNs;
        hopMap.set(k, cur);
      }
    }
    const merged = [...hopMap.values()].map((h) => ({ ...h, b: mergeBuckets(h.buckets), packets: total(mergeBuckets(h.buckets)) }));
    const order = orderHops(merged, label(first.roles, first.sender, 1));
    const hops: HopSummary[] = merged
      .map((h) => {
        const o = order.get(`${h.from}>${h.to}`);
        return { hop: `${h.from} → ${h.to}`, order: o ?? 1000, onPath: o !== undefined, packets: h.packets, p50Us: percentile(h.b, 0.5), meanUs: h.packets ? h.sumNs / h.packets / 1000 : NaN, shareUs: n ? h.sumNs / n / 1000 : NaN };
      })
      .sort((a, b) => a.order - b.order || b.packets - a.packets);
    const drops = new Map<string, { dev: string; reason: number; count: number }>();
    for (const t of ok) for (const d of t.data!.drops) {
      const k = `${d.dev}|${d.reason}`;
      drops.set(k, { dev: first.roles[d.dev] ?? d.dev, reason: d.reason, count: (drops.get(k)?.count ?? 0) + d.count });
    }
    cells.push({
      topology: first.topology,
      workload: first.workload,
      path: first.path,
      tracedTrials: ts.length,
      errors: ts.filter((t) => t.error).map((t) => t.error!),
      sample: first.sample,
      packets: n,
      p50Us: percentile(e2e, 0.5, e2eLog),
      p90Us: percentile(e2e, 0.9, e2eLog),
      p99Us: percentile(e2e, 0.99, e2eLog),
      meanUs: n ? e2eSum / n / 1000 : NaN,
      hops,
      hopMeanSumUs: hops.reduce((s, h) => s + (Number.isFinite(h.shareUs) ? h.shareUs : 0), 0),
      drops: [...drops.values()],
      overhead: overheadFor(results.trials, first.topology, first.workload, first.path),
    });
  }
  const rank = new Map(results.config.topologies.map((t, i) => [t, i]));
  const wrank = new Map(results.config.workloads.map((w, i) => [w, i]));
  cells.sort((a, b) => (rank.get(a.topology) ?? 99) - (rank.get(b.topology) ?? 99) || (wrank.get(a.workload) ?? 99) - (wrank.get(b.workload) ?? 99) || a.path.localeCompare(b.path));
  const caveats = [...results.caveats];
  // one line for the overhead, however many cells it touched: the per-cell figures are in tracing.overhead
  const flagged = cells.filter((c) => c.overhead?.flagged).map((c) => c.overhead!);
  if (flagged.length) {
    const ratios = flagged.map((o) => o.ratio);
    const cellsText = flagged.length === 1 ? `${flagged[0]!.topology} ${flagged[0]!.workload} ${flagged[0]!.path}` : `${flagged.length} of ${cells.length} traced cells`;
    caveats.push(
      `tracing changed ${cellsText} beyond the noise (traced/untraced headline metric ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}): traced latencies are upper bounds; the figures come from untraced trials`,
    );
  }
  for (const c of cells) if (c.errors.length) caveats.push(`tracing ${c.topology} ${c.workload} ${c.path}: ${c.errors[0]}`);
  const tracing = {
    program: meta.program.replace(/^.*\/bench\//, 'bench/'),
    available: meta.available,
    reason: meta.reason,
    cells,
    cdf: cells.flatMap((c) => {
      const ok = traces.filter((t) => t.topology === c.topology && t.workload === c.workload && t.path === c.path && t.data);
      return cdf(mergeBuckets(ok.map((t) => t.data!.e2e))).map((p) => ({ topology: c.topology, workload: c.workload, path: c.path, ...p }));
    }),
    hops: cells.flatMap((c) => c.hops.map((h) => ({ topology: c.topology, workload: c.workload, path: c.path, hop: h.hop, order: h.order, medianUs: h.p50Us, meanUs: h.shareUs, packets: h.packets }))),
    overhead: cells.map((c) => c.overhead).filter((o): o is Overhead => o !== null),
  };
  return { ...results, trials, caveats, tracing };
}
