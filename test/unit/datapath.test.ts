import { describe, expect, it } from 'vitest';
import { datapathSentence, sameDatapath } from '../../src/results/datapath.js';
import type { Results } from '../../src/results/types.js';
import type { TracingCell } from '../../src/results/tracing.js';
import { syntheticResults } from '../support/synthetic.js';

type Topo = Results['environment']['topologies'][number];
const topo = (name: string, driver: string, mode: string | null, builder?: string): Topo => ({
  name,
  driver,
  mode,
  datapath: null,
  ...(builder ? { builder } : {}),
  hairpin: false,
  ipForward: null,
  bridgeNfCallIptables: null,
  interfaces: [],
  caveats: [],
  buildMs: 1,
  teardownMs: 1,
});

const hop = (name: string, order: number, onPath = true) => ({ hop: name, order, onPath, packets: 10, p50Us: 1, p99Us: 2, meanUs: 1, shareUs: 1 });

function withHops(hops: Record<string, ReturnType<typeof hop>[]>, topologies: Topo[], extra: TracingCell[] = []): Results {
  const base = syntheticResults([]);
  const cells: TracingCell[] = [...extra, ...Object.entries(hops).map(([topology, h]): TracingCell => ({ topology, workload: 'tcp-rr', path: 'c1-peer', tracedTrials: 1, errors: [], sample: 8, packets: 10, p50Us: 1, p90Us: 1, p99Us: 1, meanUs: 1, hops: h, hopMeanSumUs: 1, drops: [], overhead: null }))];
  return { ...base, environment: { ...base.environment, topologies }, tracing: { program: 'p', available: true, reason: null, cells, cdf: [], hops: [], overhead: [] } };
}

const MACVLAN = [hop('c1 tx → up tx', 1), hop('up tx → swa rx', 2), hop('peer rx → app', 3)];

describe('same datapath: two builders of one style cross the same hops in the same order', () => {
  it('docker macvlan with the hops of the suite\'s macvlan is the same datapath; off-path hops do not count', () => {
    const r = withHops({ 'macvlan-bridge': MACVLAN, 'docker-macvlan-bridge': [...MACVLAN, hop('c1 rx → c1 drop', 1000, false)] }, [
      topo('host', 'host', null),
      topo('docker-macvlan-bridge', 'macvlan', 'bridge', 'docker'),
      topo('macvlan-bridge', 'macvlan', 'bridge'),
    ]);
    const [d] = sameDatapath(r);
    expect(d).toMatchObject({ style: 'macvlan bridge', a: 'macvlan-bridge', b: 'docker-macvlan-bridge', builderA: 'iproute2', builderB: 'docker', same: true });
    expect(datapathSentence(d!)).toBe('docker-macvlan-bridge (docker) and macvlan-bridge (iproute2) cross the same 3 hops in the same order in all 1 traced cells: the same datapath.');
  });

  it('a hop one build crosses and the other does not is named', () => {
    const r = withHops({ nat: MACVLAN, 'docker-nat': [MACVLAN[0]!, hop('up tx → docker-proxy', 2), MACVLAN[1]!, MACVLAN[2]!] }, [topo('nat', 'nat', null), topo('docker-nat', 'nat', null, 'docker')]);
    const [d] = sameDatapath(r);
    expect(d!.same).toBe(false);
    expect(datapathSentence(d!)).toContain('only docker-nat: up tx → docker-proxy');
  });

  it('the same hops in another order are not the same datapath', () => {
    const r = withHops({ bridge: MACVLAN, 'cni-bridge': [hop('up tx → swa rx', 1), hop('c1 tx → up tx', 2), hop('peer rx → app', 3)] }, [topo('bridge', 'bridge', null), topo('cni-bridge', 'bridge', null, 'cni')]);
    expect(datapathSentence(sameDatapath(r)[0]!)).toContain('the same hops in another order');
  });

  it('matches each cell with the same workload and path of the other build, hops by their order, and skips cells without hops', () => {
    const cell = (topology: string, workload: 'tcp-rr' | 'tcp-stream', path: 'c1-peer' | 'peer-c1', hops: ReturnType<typeof hop>[]): TracingCell => ({ topology, workload, path, tracedTrials: 1, errors: [], sample: 8, packets: 10, p50Us: 1, p90Us: 1, p99Us: 1, meanUs: 1, hops, hopMeanSumUs: 1, drops: [], overhead: null });
    const reversed = [...MACVLAN].reverse();
    const other = [hop('x', 1), hop('y', 2)];
    const r = withHops({ 'macvlan-bridge': MACVLAN, 'cni-macvlan-bridge': reversed }, [topo('macvlan-bridge', 'macvlan', 'bridge'), topo('cni-macvlan-bridge', 'macvlan', 'bridge', 'cni')], [
      // other workloads and paths come first: a match on topology alone would take them
      cell('cni-macvlan-bridge', 'tcp-stream', 'c1-peer', other),
      cell('cni-macvlan-bridge', 'tcp-rr', 'peer-c1', other),
      cell('macvlan-bridge', 'tcp-stream', 'peer-c1', []),
    ]);
    const [d] = sameDatapath(r);
    expect(d!.cells.map((c) => [c.workload, c.path, c.same])).toEqual([['tcp-rr', 'c1-peer', true]]);
    expect(d!.cells[0]!.hopsB).toEqual(MACVLAN.map((h) => h.hop));
  });

  it('compares only builds of one style by different builders', () => {
    const r = withHops({ 'macvlan-bridge': MACVLAN, 'macvlan-vepa': MACVLAN, 'docker-macvlan-vepa': MACVLAN }, [
      topo('macvlan-bridge', 'macvlan', 'bridge'),
      topo('macvlan-vepa', 'macvlan', 'vepa'),
      topo('docker-macvlan-vepa', 'macvlan', 'vepa', 'docker'),
    ]);
    expect(sameDatapath(r).map((d) => [d.a, d.b])).toEqual([['macvlan-vepa', 'docker-macvlan-vepa']]);
  });

  it('twins of one builder and the host baseline are never compared; the iproute2 build is named first wherever it is listed', () => {
    const r = withHops({ bridge: MACVLAN, 'bridge-b': MACVLAN, host: MACVLAN, 'host-d': MACVLAN, 'cni-bridge': MACVLAN }, [
      topo('host', 'host', null),
      topo('host-d', 'host', null, 'docker'),
      topo('bridge', 'bridge', null),
      topo('bridge-b', 'bridge', null),
      topo('cni-bridge', 'bridge', null, 'cni'),
    ]);
    expect(sameDatapath(r).map((d) => [d.a, d.builderA, d.b, d.builderB])).toEqual([
      ['bridge', 'iproute2', 'cni-bridge', 'cni'],
      ['bridge-b', 'iproute2', 'cni-bridge', 'cni'],
    ]);
  });

  it('a cell the other build traced without hops is no evidence: with no other cell, no comparison', () => {
    const empty = (topology: string): TracingCell => ({ topology, workload: 'tcp-stream', path: 'c1-peer', tracedTrials: 1, errors: [], sample: 8, packets: 0, p50Us: 1, p90Us: 1, p99Us: 1, meanUs: 1, hops: [], hopMeanSumUs: 0, drops: [], overhead: null });
    const r = withHops({}, [topo('bridge', 'bridge', null), topo('cni-bridge', 'bridge', null, 'cni')], [{ ...empty('bridge'), hops: MACVLAN, packets: 10 }, empty('cni-bridge')]);
    expect(sameDatapath(r)).toEqual([]);
  });

  it('names the first cell that differs, with the hops each build alone crosses, and counts the cells that differ', () => {
    const cell = (topology: string, workload: 'tcp-rr' | 'tcp-stream', hops: ReturnType<typeof hop>[]): TracingCell => ({ topology, workload, path: 'c1-peer', tracedTrials: 1, errors: [], sample: 8, packets: 10, p50Us: 1, p90Us: 1, p99Us: 1, meanUs: 1, hops, hopMeanSumUs: 1, drops: [], overhead: null });
    const r = withHops({}, [topo('nat', 'nat', null), topo('docker-nat', 'nat', null, 'docker')], [
      cell('nat', 'tcp-rr', MACVLAN),
      cell('docker-nat', 'tcp-rr', MACVLAN),
      cell('nat', 'tcp-stream', [...MACVLAN, hop('up rx → masquerade', 4)]),
      cell('docker-nat', 'tcp-stream', [MACVLAN[0]!, hop('up tx → docker-proxy', 2), hop('proxy → app', 3)]),
    ]);
    expect(datapathSentence(sameDatapath(r)[0]!)).toBe(
      'docker-nat (docker) and nat (iproute2) differ in 1 of 2 traced cells (tcp-stream c1-peer: only docker-nat: up tx → docker-proxy, proxy → app; only nat: up tx → swa rx, peer rx → app, up rx → masquerade).',
    );
  });
});
