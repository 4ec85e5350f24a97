import { describe, expect, it } from 'vitest';
import { summarizeTrials } from '../../src/results/summarize.js';
import { RESULTS_SCHEMA_VERSION, type Results, type TrialRecord } from '../../src/results/types.js';
import { resultsSchemaErrors } from '../../src/results/validate.js';

export function trial(topology: string, block: number, tps: number, extra: Partial<TrialRecord> = {}): TrialRecord {
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

describe('results schema', () => {
  const trials = [trial('host', 0, 100), trial('host', 1, 110), trial('host', 2, 90), trial('bridge', 0, 80), trial('bridge', 1, 99), trial('bridge', 2, 81, { status: 'failed', error: 'netperf: no output', metrics: {} })];
  it('accepts what summarize and the run produce', () => {
    expect(resultsSchemaErrors(syntheticResults(trials))).toEqual([]);
  });
  it('pairs ratios to host by block and counts failures', () => {
    const s = summarizeTrials(trials).find((x) => x.topology === 'bridge' && x.metric === 'tps')!;
    expect(s.n).toBe(2);
    expect(s.failed).toBe(1);
    expect(s.ratioToHost?.n).toBe(2);
    expect(s.ratioToHost?.median).toBeCloseTo((0.8 + 0.9) / 2, 12);
    expect(summarizeTrials(trials).find((x) => x.topology === 'host')?.ratioToHost).toBeNull();
  });
  it('rejects a failed trial without its reason, and unknown keys', () => {
    const bad = syntheticResults([{ ...trial('host', 0, 1), status: 'failed' }]);
    expect(resultsSchemaErrors(bad).join(' ')).toMatch(/must have required property 'error'/);
    expect(resultsSchemaErrors({ ...syntheticResults(trials), extra: 1 }).join(' ')).toMatch(/must NOT have additional properties/);
  });
});
