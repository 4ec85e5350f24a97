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
  /** within: the interval lies inside 1 ± 5%, so per-packet figures are measurements; otherwise they are upper bounds */
  readonly kind: 'within' | 'slower' | 'faster' | 'unresolved';
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

export interface TracingCell extends Cell, SampledLatency {
  readonly hops: readonly HopSummary[];
  /** sum of every hop's share, to set beside meanUs (equal when every followed packet arrived) */
  readonly hopMeanSumUs: number;
  readonly overhead: Overhead | null;
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
  /** the bpftrace program, relative to the project */
  readonly program: string;
  readonly available: boolean;
  readonly reason: string | null;
  readonly cells: readonly TracingCell[];
  readonly cdf: readonly CdfPoint[];
  readonly hops: readonly HopRow[];
  readonly overhead: readonly Overhead[];
  /** a real-host run only: what the peer machine's own sampler saw (no figure spans both machines) */
  readonly peer?: PeerTracing;
}
