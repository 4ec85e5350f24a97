/**
 * The TypeScript result model and schemas/results.schema.json describe the same shape:
 * a value of each type, with every optional field filled, passes the schema, and each
 * schema definition names exactly that type's fields (so a field added to one and not
 * the other fails here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FailedTrial, HopSummary, Interference, MetricSummary, NoiseEnv, ObserverCost, OkTrial, Overhead, PeerTracing, PeerTracingCell, ReachabilityCell, ReachabilityResult, TopologyEnv, TracingCell, TracingSummary, TrialTracing } from '../../src/results/types.js';
import { parseResults, resultsSchemaErrors } from '../../src/results/validate.js';
import { DRIVERS } from '../../src/topology/spec.js';
import { syntheticResults, trial } from '../support/synthetic.js';

interface SchemaDef {
  properties?: Record<string, unknown>;
}
const schema: { definitions: Record<string, SchemaDef>; properties: Record<string, SchemaDef> } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'results.schema.json'), 'utf8'));
const keysOf = (def: string) => Object.keys(schema.definitions[def]?.properties ?? {}).sort();

const cell = { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' } as const;
const peerTrialTracing: Required<NonNullable<TrialTracing['peer']>> = { raw: 'raw/0001.peer.bpftrace.json', error: 'no packet followed', packets: 10, p50Us: 12.5, p99Us: null };
const trialTracing: Required<TrialTracing> = { raw: 'raw/0001.bpftrace.json', error: 'no packet followed', packets: 10, p50Us: 12.5, p99Us: null, peer: peerTrialTracing };
const interference: Interference = { otherCpuS: 0.4, stealS: 0, waitS: 0.2, top: [{ pid: 123, command: 'node hog.js', cpuS: 0.4 }] };
const ok: Required<OkTrial> = { ...trial('bridge', 0, 1000), tracing: trialTracing, interference, contaminated: 'another process used 40% of a CPU: pid 123 node hog.js', busy: 'other processes used 40% of a CPU' };
const { contaminated: _c, busy: _b, ...okFields } = ok;
const failedTrial: Required<FailedTrial> = { ...okFields, status: 'failed', error: 'netperf: no output', metrics: {}, flags: [] };
const hop: HopSummary = { hop: 'c1 tx → c1h rx-queue', order: 0, onPath: true, packets: 10, p50Us: 1.5, p99Us: 4.5, meanUs: 1.6, shareUs: 1.6 };
const overhead: Required<Overhead> = { ...cell, metric: 'tps', pairs: 5, tracedMedian: 900, untracedMedian: 1000, ratio: 0.9, ratioLow: 0.85, ratioHigh: 0.95, level: 0.95, observerShare: 0.03, kind: 'slower' };
const observer: Required<ObserverCost> = { trials: 1, events: 1200, sampledEvents: 120, statsShare: 0.1, nsPerEvent: 80, statsNsPerEvent: 60, netNsPerEvent: 20, eventsPerPacket: 12, attachNsPerEvent: 61, cpuShare: 0.02, trafficShare: 0.04, programs: [{ name: 'net_dev_queue', events: 600, nsPerEvent: 90 }, { name: 'kfree_skb', events: 0, nsPerEvent: null }] };
const tracingCell: Required<TracingCell> = { ...cell, tracedTrials: 1, errors: [], sample: 1, packets: 10, p50Us: 12.5, p90Us: 14.5, p99Us: 20.5, meanUs: 13, hops: [hop], hopMeanSumUs: 13, drops: [{ dev: 'up', reason: 2, count: 1 }], overhead, observer };
const peerCell: PeerTracingCell = { ...cell, direction: 'in', step: 'peer eth1 rx → application', tracedTrials: 1, errors: [], sample: 8, packets: 10, p50Us: 12.5, p90Us: 14.5, p99Us: 20.5, meanUs: 13, drops: [] };
const peer: PeerTracing = { program: 'bench/trace/peer-half.bt', available: true, reason: null, cells: [peerCell] };
const tracing: Required<TracingSummary> = { program: 'bench/trace/bpf/path-latency.bpf.c', backend: 'libbpf', variant: 'full', available: true, reason: null, cells: [tracingCell], cdf: [{ ...cell, latencyUs: 13, fraction: 1 }], hops: [{ ...cell, hop: hop.hop, order: 0, medianUs: 1.5, p99Us: 4.5, meanUs: 1.6, packets: 10 }], overhead: [overhead], peer };
const reachCell: ReachabilityCell = { id: 'c1->peer', expected: 'yes', observed: 'yes', ok: true, detail: '2/2 replies' };
const reachability: ReachabilityResult = { topology: 'bridge', cells: [reachCell], ok: true };
const topologyEnv: Required<TopologyEnv> = { name: 'bridge', driver: 'bridge', mode: null, datapath: null, builder: 'iproute2', hairpin: false, ipForward: '1', bridgeNfCallIptables: '1', interfaces: [{ netns: 'nb-x', name: 'abcd0-up', role: 'up', offloads: { 'tx-checksumming': 'on' } }], caveats: [], buildMs: 100, teardownMs: 50, reachability };

/** a noise profile as a run keeps it: a 1-s spread too far to decide (pairs null) and an Allan deviation too short to tell (null) */
const noise: NoiseEnv = { seconds: 10, stepS: 0.1, meanGbps: 21.5, spreads: [{ gapS: 1, spread: 0.11, pairs: 40 }, { gapS: 5, spread: 0.9, pairs: null }], allan: [{ tauS: 0.1, deviation: 0.09 }, { tauS: 1, deviation: null }] };

function fullResults() {
  const base = syntheticResults([ok, failedTrial]);
  return { ...base, environment: { ...base.environment, topologies: [topologyEnv], noise, tracing: { enabled: true, available: true, reason: null, tracer: 'libbpf' as const, why: 'the kernel has BTF' } }, tracing };
}

describe('results model and schema', () => {
  it('a results value with every optional part filled in passes the schema', () => {
    expect(resultsSchemaErrors(JSON.parse(JSON.stringify(fullResults())))).toEqual([]);
  });

  it('each schema definition has exactly the fields of its type', () => {
    const summary: MetricSummary = syntheticResults([ok]).summary[0]!;
    const pairs: [string, object][] = [
      ['trial', { ...ok, error: '' }],
      ['trialTracing', trialTracing],
      ['peerTrialTracing', peerTrialTracing],
      ['peerTracingCell', peerCell],
      ['interference', interference],
      ['intruder', interference.top[0]!],
      ['summary', summary],
      ['topologyEnv', topologyEnv],
      ['reachability', reachability],
      ['tracing', tracing],
      ['tracingCell', tracingCell],
      ['hopSummary', hop],
      ['overhead', overhead],
      ['observerCost', observer],
      ['noise', noise],
    ];
    for (const [def, value] of pairs) expect(keysOf(def), def).toEqual(Object.keys(value).sort());
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(fullResults()).sort());
  });

  it('what parseResults accepts is typed: tracing and reachability are read without casts', () => {
    const r = parseResults(JSON.stringify(fullResults()), 'test');
    expect(r.tracing?.cells[0]?.hops[0]?.hop).toBe('c1 tx → c1h rx-queue');
    expect(r.environment.topologies[0]?.reachability?.cells[0]?.id).toBe('c1->peer');
    const t = r.trials[1]!;
    expect(t.status === 'failed' ? t.error : 'not failed').toBe('netperf: no output');
  });

  it('refuses tracing and reachability that do not have their shape, naming the field', () => {
    const bad = (patch: object) => resultsSchemaErrors(JSON.parse(JSON.stringify({ ...fullResults(), ...patch }))).join('; ');
    expect(bad({ tracing: { ...tracing, cells: 'x' } })).toMatch(/\/tracing\/cells must be array/);
    expect(bad({ tracing: { ...tracing, cells: [{ ...tracingCell, packets: '<img src=x>' }] } })).toMatch(/\/tracing\/cells\/0\/packets must be integer/);
    const env = fullResults().environment;
    expect(bad({ environment: { ...env, topologies: [{ ...topologyEnv, reachability: {} }] } })).toMatch(/\/environment\/topologies\/0\/reachability must have required property/);
    // a failed trial carries its reason and no figures; an ok one has no error
    expect(bad({ trials: [{ ...failedTrial, metrics: { tps: { value: 1, unit: 'x' } } }] })).toMatch(/\/trials\/0\/metrics must NOT have more than 0 properties/);
    expect(bad({ trials: [{ ...ok, error: 'x' }] })).toMatch(/\/trials\/0 must NOT be valid/);
  });
});

describe('the results schema knows every style', () => {
  it('its topology drivers are the registry\'s: a run of any style can be read back', () => {
    const env = (schema.definitions['topologyEnv'] as { properties: { driver: { enum: string[] } } }).properties.driver.enum;
    expect([...env].sort()).toEqual([...DRIVERS].sort());
  });
});
