/**
 * results.json: the data every report and gate reads. Versioned; the JSON Schema in
 * schemas/results.schema.json describes the same shape, and a unit test holds them
 * together (every type here has its definition there). docs/architecture.md shows where
 * each part is produced.
 */
import type { Better } from '../workloads/metrics.js';
import type { TrafficPath, WorkloadName } from '../workloads/registry.js';
import type { Cell } from './cell.js';
import type { ReachabilityResult } from './reachability.js';
import type { TracingSummary, TrialTracing } from './tracing.js';

export type { Cell } from './cell.js';
export type { ReachabilityCell, ReachabilityCellId, ReachabilityResult, ReachabilityValue } from './reachability.js';
export type { CdfPoint, HopRow, HopSummary, ObserverCost, Overhead, PeerTracing, PeerTracingCell, SampledLatency, TracingCell, TracingSummary, TrialTracing } from './tracing.js';

export const RESULTS_SCHEMA_VERSION = 'netbench.results/2';

export interface Measured {
  readonly value: number;
  readonly unit: string;
}

/** What every trial record has, whatever became of it. */
interface TrialBase extends Cell {
  readonly index: number;
  /** -1 for warm-up trials */
  readonly block: number;
  readonly warmup: boolean;
  /** traced trials run beside the untraced ones; the figures come from untraced trials */
  readonly traced: boolean;
  /** tool outputs, relative to the run directory */
  readonly raw: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly tracing?: TrialTracing;
  /** what else used the machine during the trial (from /proc) */
  readonly interference?: Interference;
}

/** A process that is not the suite's and used CPU during a trial. */
export interface Intruder {
  readonly pid: number;
  readonly command: string;
  readonly cpuS: number;
}

/** What else the machine did during one trial, read from /proc without privileges. */
export interface Interference {
  /** CPU time used by processes that are not the suite's (its tools, tracer and OVS daemons are) */
  readonly otherCpuS: number;
  /** CPU time the hypervisor gave to someone else */
  readonly stealS: number;
  /** time some task waited for a CPU (pressure stall information), null when the kernel does not say */
  readonly waitS: number | null;
  /** the busiest of those processes, most CPU first */
  readonly top: readonly Intruder[];
}

export interface OkTrial extends TrialBase {
  readonly status: 'ok';
  readonly metrics: Readonly<Record<string, Measured>>;
  /** e.g. retransmits above 1% of segments, UDP loss above 5% */
  readonly flags: readonly string[];
  /** set when the machine was busy during the trial: why, and the top process; such a trial is re-run and left out of the statistics */
  readonly contaminated?: string;
  /** set when other processes used the CPU during the trial and the run kept it (--busy keep): why; the trial counts */
  readonly busy?: string;
}

export interface FailedTrial extends TrialBase {
  readonly status: 'failed';
  readonly error: string;
  /** always empty: a failed trial measured nothing */
  readonly metrics: Readonly<Record<string, Measured>>;
  readonly flags: readonly string[];
}

/** One trial: a record of what happened, never an exception. Tagged on `status`. */
export type TrialRecord = OkTrial | FailedTrial;
export type TrialStatus = TrialRecord['status'];

export interface NotApplicable {
  readonly topology: string;
  readonly path: TrafficPath;
  readonly reason: string;
}

export interface RatioToHost {
  readonly median: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  readonly ciLevel: number;
  readonly n: number;
}

export interface MetricSummary extends Cell {
  readonly metric: string;
  readonly unit: string;
  readonly better: Better;
  readonly n: number;
  readonly failed: number;
  readonly median: number | null;
  readonly ciLow: number | null;
  readonly ciHigh: number | null;
  readonly ciLevel: number;
  readonly cov: number | null;
  readonly ratioToHost: RatioToHost | null;
}

export interface InterfaceEnv {
  readonly netns: string;
  readonly name: string;
  readonly role: string;
  readonly offloads: Readonly<Record<string, string>>;
}

export interface TopologyEnv {
  readonly name: string;
  readonly driver: string;
  readonly mode: string | null;
  readonly datapath: string | null;
  /** who built it; absent in runs from before builders (iproute2) */
  readonly builder?: string;
  readonly hairpin: boolean;
  readonly ipForward: string | null;
  readonly bridgeNfCallIptables: string | null;
  readonly interfaces: readonly InterfaceEnv[];
  readonly caveats: readonly string[];
  readonly buildMs: number;
  readonly teardownMs: number | null;
  readonly reachability?: ReachabilityResult;
}

export interface TracingEnv {
  readonly enabled: boolean;
  readonly available: boolean;
  readonly reason: string | null;
  /** the observer (libbpf or bpftrace) and why it was the one; absent in runs from before there was a choice */
  readonly tracer?: 'libbpf' | 'bpftrace';
  readonly why?: string;
}

/** One idle state of CPU 0, from sysfs: deeper states take longer to leave. */
export interface IdleState {
  readonly name: string;
  readonly exitLatencyUs: number;
  readonly disabled: boolean;
}

/** The cpuidle driver and governor and the idle states (null driver: no cpuidle in sysfs). */
export interface IdleRegime {
  readonly driver: string | null;
  readonly governor: string | null;
  readonly states: readonly IdleState[];
}

/** A machine's idle regime during the run, and the CPU-latency request held while measuring. */
export interface IdleEnv extends IdleRegime {
  /** the request held on /dev/cpu_dma_latency for the whole run, in µs; null when none was held */
  readonly requestUs: number | null;
  /** why none was held (turned off, or the device refused), or what holding it does under this regime; null when there is nothing to say */
  readonly note: string | null;
}

export interface MachineEnv {
  /** the machine's name (absent in runs from before it was recorded) */
  readonly hostname?: string;
  readonly kernel: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly node: string;
  readonly tools: Readonly<Record<string, string | null>>;
  /** the CPU idle regime (absent in runs from before it was recorded: no request was held then) */
  readonly idle?: IdleEnv;
}

export interface PeerMachineEnv {
  readonly host: string;
  readonly kernel: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly tools: Readonly<Record<string, string | null>>;
  /** the peer's CPU idle regime and the request held there */
  readonly idle?: IdleEnv;
}

export interface NicEnv {
  readonly machine: 'hostA' | 'peer';
  readonly name: string;
  readonly driver: string;
  readonly firmware: string;
  readonly speedMbps: number | null;
  readonly offloads: Readonly<Record<string, string>>;
  readonly queues: { readonly rx: number | null; readonly tx: number | null; readonly combined: number | null };
}

/** A real-host run's second machine and both test NICs. */
export interface RealHostsEnv {
  readonly peer: PeerMachineEnv;
  readonly nics: readonly NicEnv[];
  /** the slower NIC's link speed: the physical limit of every figure */
  readonly lineRateMbps: number | null;
  /** no one-way time across the machines is claimed unless this is true (never checked yet) */
  readonly clocksSynchronised: boolean;
}

/** Two 1-s figures of the host path this far apart: the spread of their log ratio, and the pairs a ±5% verdict would need at it. */
export interface NoiseSpread {
  readonly gapS: number;
  readonly spread: number;
  /** null: more than 5,000 */
  readonly pairs: number | null;
}

/**
 * The machine's noise on the day: the host path streamed in 100 ms steps before the
 * trials (bench run --noise-profile; docs/methodology.md, "Trial design").
 */
export interface NoiseEnv {
  readonly seconds: number;
  readonly stepS: number;
  readonly meanGbps: number;
  /** by the time between two 1-s figures' starts, those the profile is long enough for */
  readonly spreads: readonly NoiseSpread[];
  /** the Allan deviation of the throughput at these averaging times */
  readonly allan: readonly { readonly tauS: number; readonly deviation: number | null }[];
}

export interface Environment extends MachineEnv {
  readonly tracing: TracingEnv;
  readonly cpuPinning: { readonly client: number; readonly server: number } | null;
  readonly topologies: readonly TopologyEnv[];
  /** present for a run on real machines (bench run --peer) */
  readonly realHosts?: RealHostsEnv;
  /** present when the run took a noise profile before its trials */
  readonly noise?: NoiseEnv;
}

export interface RunSettings {
  readonly topologies: readonly string[];
  readonly workloads: readonly WorkloadName[];
  readonly paths: readonly TrafficPath[];
  readonly durationS: number;
  readonly trials: number;
  readonly warmup: number;
  /** the run's time budget in seconds when trials stop adaptively; null for a fixed count of trials */
  readonly budgetS?: number | null;
  /** the topologies judged, and the baselines each is judged against */
  readonly challengers?: readonly string[];
  readonly against?: readonly string[];
  /** how plain blocks ordered their trials (absent in runs from before: each cell once, 'block'; a real-host run groups by topology, 'block') */
  readonly pairing?: 'chain' | 'adjacent' | 'block';
  /** a trial taken while other processes used the CPU: left out and re-run (rerun; runs from before it was recorded) or counted (keep) */
  readonly busy?: 'rerun' | 'keep';
  /** how each comparison's interval was made (results/verdict.ts); absent in runs from before: 'mean' */
  readonly estimator?: 'robust' | 'mean';
}

/** 'killed': the run's process died without finishing (SIGKILL, a crash, the machine); `bench clean` found it 'running' and said so */
export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed' | 'killed';

export interface Results {
  readonly schema: typeof RESULTS_SCHEMA_VERSION;
  readonly runId: string;
  readonly seed: number;
  readonly profile: string;
  readonly config: RunSettings;
  readonly status: RunStatus;
  readonly statusReason: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly environment: Environment;
  readonly notApplicable: readonly NotApplicable[];
  readonly trials: readonly TrialRecord[];
  readonly summary: readonly MetricSummary[];
  readonly caveats: readonly string[];
  readonly tracing?: TracingSummary;
}
