/** What every step of a run shares: the runner, state directories, abort flag, progress and log. */
import type { Runner } from '../exec/runner.js';
import type { CpuLatencyHold } from '../lab/idle.js';
import type { StateDirs } from '../lab/state.js';
import type { Tracer } from '../trace/tracer.js';
import type { RealHosts } from '../topology/real.js';
import type { RealHostsEnv } from '../results/types.js';
import type { NicHolder } from './holder.js';
import type { ProcSample } from './interference.js';
import type { TrafficPath, WorkloadName } from '../workloads/registry.js';

export interface ProgressEvent {
  readonly done: number;
  readonly total: number;
  readonly trial?: { readonly topology: string; readonly workload: WorkloadName; readonly path: TrafficPath; readonly block: number; readonly warmup: boolean; readonly traced: boolean };
  readonly etaS: number;
  readonly message?: string;
}

export type Progress = (event: ProgressEvent) => void;

export interface RunDeps {
  readonly runner: Runner;
  readonly state: StateDirs;
  readonly aborted: () => boolean;
  readonly progress?: Progress;
  readonly tracer?: Tracer;
  /** the command line, recorded in ledgers and the run log */
  readonly command: string;
  /** watch the machine from /proc: a quiet check before measuring, and every trial's interference (flagged and re-run when busy) */
  readonly watch?: { readonly sample: () => ProcSample; readonly quietMs: number };
  /** said at once, not only in the results: the machine is busy */
  readonly warn?: (message: string) => void;
  /** said at once: why an adaptive run stopped taking trials */
  readonly note?: (message: string) => void;
  /** holds the CPU-latency request (lab/idle.ts); without it, a run holds none */
  readonly cpuIdle?: { readonly hold: (valueUs: number) => CpuLatencyHold };
  /** a real-host run: the test NICs and the peer machine (then `runner` places each command on its machine) */
  readonly real?: RealHosts & { readonly env: RealHostsEnv };
}

export interface RunContext extends RunDeps {
  readonly log: (line: string) => void;
  /** which topology holds the test NICs: real-host runs build one at a time */
  readonly holder?: NicHolder;
}
