/**
 * What bpftrace observation adds to results: per traced trial, its packet count and
 * percentiles; per cell, the merged one-way stack latency distribution, the per-hop split,
 * drops, and the tracing overhead. Figures that could not be computed are null.
 */
import type { Cell } from './cell.js';

export interface TrialTracing {
  /** the bpftrace output, relative to the run directory */
  readonly raw: string | null;
  readonly error?: string;
  readonly packets: number;
  readonly p50Us: number | null;
  readonly p99Us: number | null;
  /** a real-host run's peer machine: its own sampler's figures for this trial */
  readonly peer?: Omit<TrialTracing, 'peer'>;
}

export interface HopSummary {
  /** "<role> <event> → <role> <event>", e.g. "c1 tx → c1h rx-queue" */
  readonly hop: string;
  /** position along the path; 1000 for hops off the main path */
  readonly order: number;
  readonly onPath: boolean;
  readonly packets: number;
  readonly p50Us: number | null;
  readonly p99Us: number | null;
  readonly meanUs: number | null;
  /** this hop's time per packet delivered end to end: the shares add up to the mean journey */
  readonly shareUs: number | null;
}

/**
 * Traced against untraced trials of the same cell, paired by block, on its primary metric
 * (results/overhead.ts). `ratio` is performance traced / untraced: 0.93 = 7% slower traced.
 */
export interface Overhead extends Cell {
  readonly metric: string;
  /** blocks with both a traced and an untraced trial */
  readonly pairs: number;
  readonly tracedMedian: number;
  readonly untracedMedian: number | null;
  /** geometric mean of the per-block ratios */
  readonly ratio: number | null;
  /** the interval of the ratio at `level`; null with fewer than two pairs */
  readonly ratioLow: number | null;
  readonly ratioHigh: number | null;
  readonly level: number;
  /** the compiled observer's own time as a share of the traced trials' traffic time (ObserverCost.trafficShare), when measured */
  readonly observerShare?: number;
  /**
   * within: the interval lies inside 1 ± 5%; bounded: the interval does not resolve the
   * effect, and the observer's own time, measured in the kernel, is within 5% of the
   * traffic's. Either way the per-packet figures are measurements; otherwise they are
   * upper bounds (results/overhead.ts)
   */
  readonly kind: 'within' | 'bounded' | 'slower' | 'faster' | 'unresolved';
}

/** A cell's sampled journeys, merged over its traced trials: what both machines' cells report. */
export interface SampledLatency {
  readonly tracedTrials: number;
  readonly errors: readonly string[];
  /** one packet in `sample` is followed */
  readonly sample: number;
  readonly packets: number;
  readonly p50Us: number | null;
  readonly p90Us: number | null;
  readonly p99Us: number | null;
  readonly meanUs: number | null;
  readonly drops: readonly { readonly dev: string; readonly reason: number; readonly count: number }[];
}

/**
 * The compiled observer's own cost over a cell's traced trials, from the kernel's
 * statistics (trace/observer.ts). `nsPerEvent` is the kernel's figure, which includes the
 * statistics' own two clock reads (`statsNsPerEvent`); `netNsPerEvent` has them taken off.
 */
export interface ObserverCost {
  /** traced trials that carried the statistics */
  readonly trials: number;
  /** program runs: every tracepoint hit, followed packet or not */
  readonly events: number;
  /** the runs the kernel timed: those while its statistics were on */
  readonly sampledEvents: number;
  /** the share of the traced trials' time the statistics were on (about 0.1) */
  readonly statsShare: number;
  /** mean run time of the timed runs, as the kernel gives it */
  readonly nsPerEvent: number | null;
  readonly statsNsPerEvent: number | null;
  readonly netNsPerEvent: number | null;
  /** events per packet delivered end to end: events / (followed packets × sample) */
  readonly eventsPerPacket: number | null;
  /** one event's cost outside the program (the tracepoint's call into BPF), which the kernel does not time: measured by the loader; null from older loaders */
  readonly attachNsPerEvent?: number | null;
  /** the observer's time (every event at its net cost and its dispatch, plus the statistics on the timed ones) as a share of the traced trials' busy CPU time */
  readonly cpuShare: number | null;
  /**
   * the observer's time as a share of the traced trials' traffic time (their count × the
   * trial duration): how much slower the traffic would be were all of it on the traffic's
   * critical path, a bound measured in the kernel (results/overhead.ts); null without the dispatch's cost
   */
  readonly trafficShare?: number | null;
  readonly programs: readonly { readonly name: string; readonly events: number; readonly nsPerEvent: number | null }[];
}

export interface TracingCell extends Cell, SampledLatency {
  readonly hops: readonly HopSummary[];
  /** sum of every hop's share, to set beside meanUs (equal when every followed packet arrived) */
  readonly hopMeanSumUs: number;
  readonly overhead: Overhead | null;
  /** the compiled observer's cost, measured in the kernel; absent with bpftrace */
  readonly observer?: ObserverCost | null;
}

export interface CdfPoint extends Cell {
  readonly latencyUs: number;
  readonly fraction: number;
}

export interface HopRow extends Cell {
  readonly hop: string;
  readonly order: number;
  readonly medianUs: number | null;
  readonly p99Us: number | null;
  readonly meanUs: number | null;
  readonly packets: number;
}

/**
 * A real-host run's peer machine, traced by its own sampler (bench/trace/peer-half.bt):
 * one step at its test NIC, timed on the peer's clock alone. `in`: the peer receives
 * (NIC receive to the application's first copy); `out`: it sends (NIC queue to driver).
 */
export interface PeerTracingCell extends Cell, SampledLatency {
  readonly direction: 'in' | 'out';
  /** what was timed, in words: "<nic> rx → application" */
  readonly step: string;
}

export interface PeerTracing {
  readonly program: string;
  readonly available: boolean;
  readonly reason: string | null;
  readonly cells: readonly PeerTracingCell[];
}

export interface TracingSummary {
  /** the observer's program, relative to the project */
  readonly program: string;
  /** which observer ran: the compiled programs (libbpf) or bpftrace; absent in runs from before there was a choice (bpftrace) */
  readonly backend?: 'libbpf' | 'bpftrace';
  /** the compiled observer's variant (full, attached-only, no-stats) */
  readonly variant?: string;
  readonly available: boolean;
  readonly reason: string | null;
  readonly cells: readonly TracingCell[];
  readonly cdf: readonly CdfPoint[];
  readonly hops: readonly HopRow[];
  readonly overhead: readonly Overhead[];
  /** a real-host run only: what the peer machine's own sampler saw (no figure spans both machines) */
  readonly peer?: PeerTracing;
}

/** The observer in words, for titles: "compiled BPF, tp_btf" or "bpftrace" (runs from before the choice are bpftrace's). */
export function observerName(t: Pick<TracingSummary, 'backend' | 'variant'> | undefined): string {
  if (t?.backend !== 'libbpf') return 'bpftrace';
  return `compiled BPF on BTF tracepoints${t.variant && t.variant !== 'full' ? `, ${t.variant}` : ''}`;
}
