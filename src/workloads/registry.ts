/**
 * Workloads by name: which tool, the client's arguments, the parser, and the metrics it
 * yields (with units and which direction is better). The CLI's choices come from here.
 */
import { parseIperf3Tcp, parseIperf3Udp } from '../parsers/iperf3.js';
import { NETPERF_OUTPUT, parseNetperf } from '../parsers/netperf.js';
import type { Parsed } from '../parsers/types.js';
import { type Better, type MetricDef, P99, RATE_MARGIN, TAIL_MARGIN } from './metrics.js';
import { PORTS } from './ports.js';

export type { Better, MetricDef } from './metrics.js';

export type ServerKind = 'iperf3' | 'netserver';

export interface Workload {
  readonly description: string;
  readonly server: ServerKind;
  readonly client: 'iperf3' | 'netperf';
  /** the metric that answers "which is faster" */
  readonly primary: string;
  /** the metrics every verdict, table and gate summary leads with: the primary one, and P99 latency for request/response */
  readonly headline: readonly string[];
  readonly metrics: readonly MetricDef[];
  /**
   * The client's arguments. `expectedRate` (the workload's primary figure measured
   * earlier in the same cell) lets a workload that ends by count size its test to last
   * `durationS`.
   */
  clientArgs(target: string, durationS: number, expectedRate?: number): string[];
  /**
   * The test ends after a number of transactions sized from `expectedRate`, not after a
   * time: netperf's TCP_CRR, given a time, waits out netserver's 4 s end-of-test pad (its
   * server sits in accept() until its own alarm), so a 1 s trial took 5 s. Every workload
   * ends by count when its trials are short (`isShort`).
   */
  readonly endsByCount?: boolean;
  parse(stdout: string): Parsed;
  /** unit of work for CPU cost: bytes moved, packets received, or transactions */
  work(values: Readonly<Record<string, number>>): { amount: number; metric: string };
}

const m = (name: string, unit: string, better: Better, label: string, positive = true, margin = RATE_MARGIN): MetricDef => ({ name, unit, better, label, positive, margin });
/** counts that a healthy trial may well measure as zero */
const z = (name: string, unit: string, label: string): MetricDef => m(name, unit, 'lower', label, false);

// the tail (P90, P99) is judged within ±10%, the middle and the rates within ±5% (docs/methodology.md)
const latency = [m('p50_us', 'µs', 'lower', 'P50 latency'), m('p90_us', 'µs', 'lower', 'P90 latency', true, TAIL_MARGIN), m(P99, 'µs', 'lower', 'P99 latency', true, TAIL_MARGIN), m('mean_us', 'µs', 'lower', 'mean latency')];

/**
 * A trial shorter than a second: iperf3 takes whole seconds (-t), so short trials of every
 * workload are sized by count, bytes or transactions, from the cell's rate so far
 * (docs/methodology.md, "Trial design").
 */
export function isShort(durationS: number): boolean {
  return durationS < 1;
}

/** Whether a workload's trials of this length end by count, and so need the cell's rate so far. */
export function sizedByCount(wl: Workload, durationS: number): boolean {
  return Boolean(wl.endsByCount) || isShort(durationS);
}

/**
 * iperf3's length: -t whole seconds; a short trial sends the bytes the expected rate
 * moves in its time (`bytesPerUnit` bytes a second per unit of the rate), or, before any rate is
 * known (its warm-up), runs one second.
 */
export function iperf3Length(durationS: number, expectedRate: number | undefined, bytesPerUnit: number): string[] {
  if (!isShort(durationS)) return ['-t', String(durationS)];
  if (expectedRate === undefined || !(expectedRate > 0)) return ['-t', '1'];
  return ['-n', String(Math.max(1024, Math.round(expectedRate * bytesPerUnit * durationS)))];
}

function iperf3Tcp(streams: number): Workload {
  return {
    description: `iperf3 TCP bulk stream, ${streams === 1 ? 'one stream' : `${streams} streams`}`,
    server: 'iperf3',
    client: 'iperf3',
    primary: 'throughput_gbps',
    headline: ['throughput_gbps'],
    metrics: [m('throughput_gbps', 'Gbit/s', 'higher', 'throughput'), z('retransmits', 'segments', 'retransmits'), m('cpu_s_per_gb', 'CPU-s/GB', 'lower', 'CPU cost')],
    // Gbit/s: 1e9 / 8 bytes a second
    clientArgs: (target, d, rate) => ['-c', target, '-p', String(PORTS.iperf3), ...iperf3Length(d, rate, 1e9 / 8), '-P', String(streams), '-J', '--connect-timeout', '3000'],
    parse: parseIperf3Tcp,
    work: (v) => ({ amount: (v['bytes'] ?? 0) / 1e9, metric: 'cpu_s_per_gb' }),
  };
}

export const WORKLOADS = {
  'tcp-stream': iperf3Tcp(1),
  'tcp-stream-4': iperf3Tcp(4),
  'udp-pps': {
    description: 'iperf3 UDP, 64-byte payloads at an unlimited rate: packets per second received, and loss',
    server: 'iperf3',
    client: 'iperf3',
    primary: 'pps_received',
    headline: ['pps_received'],
    metrics: [m('pps_received', 'packets/s', 'higher', 'packets received'), z('loss_pct', '%', 'loss'), m('cpu_s_per_mpkt', 'CPU-s/Mpacket', 'lower', 'CPU cost')],
    // packets/s of 64 bytes: the rate received, so a lossy path sends for a little less than the trial
    clientArgs: (target, d, rate) => ['-c', target, '-p', String(PORTS.iperf3), ...iperf3Length(d, rate, 64), '-u', '-b', '0', '-l', '64', '-J', '--connect-timeout', '3000'],
    parse: parseIperf3Udp,
    work: (v) => ({ amount: ((v['packets'] ?? 0) * (1 - (v['loss_pct'] ?? 0) / 100)) / 1e6, metric: 'cpu_s_per_mpkt' }),
  },
  'tcp-rr': netperfRr('TCP_RR', 'netperf TCP request/response, 1-byte messages', 'tps', 'transactions/s'),
  'udp-rr': netperfRr('UDP_RR', 'netperf UDP request/response, 1-byte messages', 'tps', 'transactions/s'),
  'tcp-crr': netperfRr('TCP_CRR', 'netperf TCP connect/request/response: a new connection per transaction', 'tps', 'connections/s', true),
} as const satisfies Record<string, Workload>;

/**
 * Transactions per second of traffic for a test that ends by count before any rate is
 * known (its warm-up): 3000/s lasts 0.25-0.6 s on this suite's topologies, and never
 * waits out the 4 s end-of-test pad a test by time does.
 */
export const FIRST_COUNT_PER_S = 3000;

/** netperf's -l: seconds, or (negative) a transaction count sized to last `durationS` at the expected rate. */
export function netperfLength(durationS: number, expectedRate: number | undefined, byCount: boolean): string {
  if (!byCount && !isShort(durationS)) return String(durationS);
  const rate = expectedRate !== undefined && expectedRate > 0 ? expectedRate : FIRST_COUNT_PER_S;
  return String(-Math.max(100, Math.round(rate * durationS)));
}

function netperfRr(test: string, description: string, primary: string, unit: string, endsByCount = false): Workload {
  return {
    endsByCount,
    description,
    server: 'netserver',
    client: 'netperf',
    primary,
    headline: [primary, P99],
    metrics: [m('tps', unit, 'higher', unit === 'connections/s' ? 'connection rate' : 'transaction rate'), ...latency, m('cpu_us_per_txn', 'CPU-µs/transaction', 'lower', 'CPU cost')],
    // -P ,port fixes only the remote data port (published under nat); the local port stays free for CRR
    clientArgs: (target, d, rate) => ['-H', target, '-p', String(PORTS.netperfControl), '-t', test, '-l', netperfLength(d, rate, endsByCount), '-4', '--', '-r', '1,1', '-P', `,${PORTS.netperfData}`, '-o', NETPERF_OUTPUT],
    parse: parseNetperf,
    work: (v) => ({ amount: (v['tps'] ?? 0) * (v['seconds'] ?? 0) / 1e6, metric: 'cpu_us_per_txn' }),
  };
}

export type WorkloadName = keyof typeof WORKLOADS;
export function isWorkloadName(x: string): x is WorkloadName {
  return Object.hasOwn(WORKLOADS, x);
}

export const WORKLOAD_NAMES: readonly WorkloadName[] = Object.keys(WORKLOADS).filter(isWorkloadName);

export function workload(name: WorkloadName): Workload {
  return WORKLOADS[name];
}

export function metricDef(name: WorkloadName, metric: string): MetricDef | undefined {
  return workload(name).metrics.find((x) => x.name === metric);
}

/** The headline metrics of a workload, each with its definition. */
export function headlineMetrics(name: WorkloadName): MetricDef[] {
  const wl = workload(name);
  return wl.headline.map((h) => wl.metrics.find((d) => d.name === h)).filter((d): d is MetricDef => d !== undefined);
}

/** Traffic paths: which way a workload's traffic flows (client first). */
export const TRAFFIC_PATHS = ['c1-peer', 'peer-c1', 'c1-c2'] as const;
export type TrafficPath = (typeof TRAFFIC_PATHS)[number];

export function isTrafficPath(x: string): x is TrafficPath {
  return TRAFFIC_PATHS.some((p) => p === x);
}
