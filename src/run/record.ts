/**
 * The run as it is being measured: everything later written to results.json, kept in
 * one place so that every step adds to it and a snapshot can be saved after each trial.
 */
import type { BuiltTopology } from '../topology/build.js';
import { summarizeTrials } from '../results/summarize.js';
import { type MachineEnv, type NoiseEnv, type NotApplicable, type RealHostsEnv, RESULTS_SCHEMA_VERSION, type Results, type RunStatus, type TopologyEnv, type TracingEnv, type TrialRecord } from '../results/types.js';
import type { RunConfig } from './config.js';

export class RunRecord {
  status: RunStatus = 'running';
  statusReason: string | null = null;
  machine: MachineEnv = { kernel: '', cpuModel: '', cpuCount: 0, node: process.version, tools: {} };
  readonly topologies = new Map<string, TopologyEnv>();
  readonly notApplicable: NotApplicable[] = [];
  readonly caveats: string[] = [];
  readonly trials: TrialRecord[] = [];
  /** topologies that were built, in build order (teardown walks them in reverse) */
  readonly built: BuiltTopology[] = [];
  readonly startedAt = new Date().toISOString();
  /** the peer machine and both test NICs of a real-host run */
  realHosts: RealHostsEnv | undefined;
  /** the host path's noise, measured before the trials */
  noise: NoiseEnv | undefined;

  constructor(
    private readonly cfg: RunConfig,
    private readonly tracing: TracingEnv,
    readonly pinning: { client: number; server: number } | null,
  ) {}

  snapshot(): Results {
    const cfg = this.cfg;
    const topologyCaveats = [...this.topologies.values()].flatMap((t) => t.caveats.map((c) => `${t.name}: ${c}`));
    return {
      schema: RESULTS_SCHEMA_VERSION,
      runId: cfg.runId,
      seed: cfg.seed,
      profile: cfg.profile,
      config: { topologies: cfg.topologies.map((t) => t.name), workloads: cfg.workloads, paths: cfg.paths, durationS: cfg.durationS, trials: cfg.trials, warmup: cfg.warmup, budgetS: cfg.budgetS, challengers: cfg.sides.challengers, against: cfg.sides.against, pairing: this.realHosts ? 'block' : cfg.pairing, busy: cfg.busy, estimator: cfg.estimator },
      status: this.status,
      statusReason: this.statusReason,
      startedAt: this.startedAt,
      endedAt: this.status === 'running' ? null : new Date().toISOString(),
      environment: { ...this.machine, tracing: this.tracing, cpuPinning: this.pinning, topologies: [...this.topologies.values()], ...(this.realHosts ? { realHosts: this.realHosts } : {}), ...(this.noise ? { noise: this.noise } : {}) },
      notApplicable: this.notApplicable,
      trials: this.trials,
      summary: summarizeTrials(this.trials),
      caveats: [...new Set([...this.caveats, ...topologyCaveats])],
    };
  }
}
