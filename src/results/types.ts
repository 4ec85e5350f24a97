/**
 * results.json: the data every report and gate reads. Versioned; the JSON Schema in
 * schemas/results.schema.json describes the same shape and tests hold them together.
 */
import type { Better } from '../workloads/registry.js';

export const RESULTS_SCHEMA_VERSION = 'netbench.results/1';

export interface Measured {
  readonly value: number;
  readonly unit: string;
}

export type TrialStatus = 'ok' | 'failed';

export interface TrialRecord {
  readonly index: number;
  readonly block: number;
  readonly warmup: boolean;
  readonly topology: string;
  readonly workload: string;
  readonly path: string;
  readonly traced: boolean;
  readonly status: TrialStatus;
  readonly error?: string;
  readonly metrics: Readonly<Record<string, Measured>>;
  readonly flags: readonly string[];
  readonly raw: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
}

export interface NotApplicable {
  readonly topology: string;
  readonly path: string;
  readonly reason: string;
}

export interface MetricSummary {
  readonly topology: string;
  readonly workload: string;
  readonly path: string;
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
  readonly ratioToHost: { readonly median: number; readonly ciLow: number; readonly ciHigh: number; readonly ciLevel: number; readonly n: number } | null;
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
  readonly hairpin: boolean;
  readonly ipForward: string | null;
  readonly bridgeNfCallIptables: string | null;
  readonly interfaces: readonly InterfaceEnv[];
  readonly caveats: readonly string[];
  readonly buildMs: number;
  readonly teardownMs: number | null;
  readonly reachability?: unknown;
}

export interface Environment {
  readonly kernel: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly node: string;
  readonly tools: Readonly<Record<string, string | null>>;
  readonly tracing: { readonly enabled: boolean; readonly available: boolean; readonly reason: string | null };
  readonly cpuPinning: { readonly client: number; readonly server: number } | null;
  readonly topologies: readonly TopologyEnv[];
}

export interface Results {
  readonly schema: typeof RESULTS_SCHEMA_VERSION;
  readonly runId: string;
  readonly seed: number;
  readonly profile: string;
  readonly config: {
    readonly topologies: readonly string[];
    readonly workloads: readonly string[];
    readonly paths: readonly string[];
    readonly durationS: number;
    readonly trials: number;
    readonly warmup: number;
  };
  readonly status: 'running' | 'complete' | 'interrupted' | 'failed';
  readonly statusReason: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly environment: Environment;
  readonly notApplicable: readonly NotApplicable[];
  readonly trials: readonly TrialRecord[];
  readonly summary: readonly MetricSummary[];
  readonly caveats: readonly string[];
  readonly tracing?: unknown;
}
