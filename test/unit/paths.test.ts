import { describe, expect, it } from 'vitest';
import { diagramRows, pathDiagrams } from '../../src/report/paths.js';
import type { HopSummary, TracingCell } from '../../src/results/types.js';
import { syntheticResults, trial } from '../support/synthetic.js';

const hop = (order: number, hop: string, meanUs: number, p99Us: number): HopSummary => ({ hop, order, onPath: true, packets: 100, p50Us: meanUs, p99Us, meanUs, shareUs: meanUs });
const tracingCell = (topology: string, hops: HopSummary[]): TracingCell => ({
  topology,
  workload: 'tcp-rr',
  path: 'c1-peer',
  tracedTrials: 1,
  errors: [],
  sample: 1,
  packets: 100,
  p50Us: 10,
  p90Us: 12,
  p99Us: 20,
  meanUs: hops.reduce((s, h) => s + (h.meanUs ?? 0), 0),
  hops: [...hops, { ...hop(1000, 'c1 tx → lo rx', 1, 1), onPath: false }],
  hopMeanSumUs: hops.reduce((s, h) => s + (h.meanUs ?? 0), 0),
  drops: [],
  overhead: null,
});

const nat = tracingCell('nat', [
  hop(0, 'c1 tx → c1h rx-queue', 2, 4),
  hop(1, 'c1h rx-queue → c1h rx', 3, 9),
  hop(2, 'c1h rx → dbr rx', 1, 2),
  hop(3, 'dbr rx → up tx', 6.5, 15),
  hop(4, 'up tx → peer rx', 2, 3),
]);
const macvlan = tracingCell('macvlan-bridge', [hop(0, 'c1 tx → up tx', 1.2, 2.5), hop(1, 'up tx → peer rx', 2, 3)]);

const topo = (name: string, driver: string) => ({ name, driver, mode: null, datapath: null, hairpin: false, ipForward: null, bridgeNfCallIptables: null, interfaces: [], caveats: [], buildMs: 0, teardownMs: null });

describe('path diagrams', () => {
  it('lays a cell out as places and steps along its path, naming each device once in plain words', () => {
    const rows = diagramRows(nat, 'nat', 'nat');
    const nodes = rows.filter((r) => r.kind === 'node');
    expect(nodes.map((n) => n.label)).toEqual(['c1 (container)\ntx', 'c1 veth, host end\nrx-queue', 'rx', 'NAT bridge\nrx', 'uplink\ntx', 'peer\nrx']);
    expect(nodes.map((n) => n.x)).toEqual([0, 1, 2, 3, 4, 5]);
    const segs = rows.filter((r) => r.kind === 'segment');
    // hops off the main path are left out
    expect(segs).toHaveLength(5);
    expect(segs.map((s) => s.label)[3]).toBe('6.50 µs\nP99 15.0');
    expect(segs.filter((s) => s.costliest).map((s) => s.hop)).toEqual(['dbr rx → up tx']);
    expect(rows.find((r) => r.kind === 'total')?.label).toBe('end to end: mean 14.5 µs, P99 20.0 µs (5 steps)');
  });

  it('puts macvlan above the alternatives, one chart per workload and path, with every topology as a row', () => {
    const base = syntheticResults([trial('nat', 0, 1), trial('macvlan-bridge', 0, 1)]);
    const results = {
      ...base,
      environment: { ...base.environment, topologies: [topo('nat', 'nat'), topo('macvlan-bridge', 'macvlan')] },
      tracing: { program: 'p.bt', available: true, reason: null, cells: [nat, macvlan], cdf: [], hops: [], overhead: [] },
    };
    const charts = pathDiagrams(results);
    expect(charts.map((c) => c.id)).toEqual(['path-tcp-rr-c1-peer']);
    const spec = charts[0]!.spec as { facet: { row: { sort: string[] } }; data: { values: { kind: string; topology: string; label: string }[] } };
    expect(spec.facet.row.sort).toEqual(['macvlan-bridge', 'nat']);
    const mv = spec.data.values.filter((v) => v.topology === 'macvlan-bridge' && v.kind === 'node').map((v) => v.label);
    expect(mv).toEqual(['c1 (macvlan child)\ntx', 'uplink\ntx', 'peer\nrx']);
  });
});
