import { summarizeTrials } from '../../src/results/summarize.js';
import { RESULTS_SCHEMA_VERSION, type FailedTrial, type OkTrial, type Results, type TrialRecord } from '../../src/results/types.js';

/** A successful tcp-rr trial of c1-peer in `block`, measuring `tps` (and P99 = 1e6/tps µs). */
export function trial(topology: string, block: number, tps: number, extra: Partial<OkTrial> = {}): OkTrial {
  return {
    index: block,
    block,
    warmup: false,
    topology,
    workload: 'tcp-rr',
    path: 'c1-peer',
    traced: false,
    status: 'ok',
    metrics: { tps: { value: tps, unit: 'transactions/s' }, p99_us: { value: 1e6 / tps, unit: 'µs' } },
    flags: [],
    raw: [`raw/${block}.txt`],
    startedAt: '2026-11-28T07:00:00.000Z',
    durationMs: 1000,
    ...extra,
  };
}

export function syntheticResults(trials: TrialRecord[]): Results {
  return {
    schema: RESULTS_SCHEMA_VERSION,
    runId: '20261128-070000-abcd',
    seed: 1,
    profile: 'quick',
    config: { topologies: ['host', 'bridge'], workloads: ['tcp-rr'], paths: ['c1-peer'], durationS: 2, trials: 3, warmup: 0 },
    status: 'complete',
    statusReason: null,
    startedAt: '2026-11-28T07:00:00.000Z',
    endedAt: '2026-11-28T07:01:00.000Z',
    environment: { kernel: '6.18', cpuModel: 'x', cpuCount: 2, node: 'v20', tools: { iperf3: '3.12', bpftrace: null }, tracing: { enabled: false, available: false, reason: 'off' }, cpuPinning: { client: 0, server: 1 }, topologies: [] },
    notApplicable: [{ topology: 'host', path: 'c1-c2', reason: 'not applicable, because the host baseline has no containers' }],
    trials,
    summary: summarizeTrials(trials),
    caveats: [],
  };
}


/** The same trial, failed with `error`: a record without figures. */
export function failed(topology: string, block: number, error: string, extra: Partial<FailedTrial> = {}): FailedTrial {
  const { metrics: _metrics, flags: _flags, status: _status, ...base } = trial(topology, block, 1);
  return { ...base, status: 'failed', error, metrics: {}, flags: [], ...extra };
}
