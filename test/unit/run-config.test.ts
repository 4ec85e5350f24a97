import { describe, expect, it } from 'vitest';
import { resolveRunConfig, runIdFor } from '../../src/run/config.js';
import { routeApplicability, resolveRoute } from '../../src/topology/routes.js';
import { seededRng, shuffle } from '../../src/stats/rng.js';
import { buildSchedule } from '../../src/run/schedule.js';
import type { Cell } from '../../src/results/types.js';
import { resolveTopologyArg } from '../../src/topology/registry.js';

describe('run options', () => {
  it('resolves a profile and always includes host', () => {
    const c = resolveRunConfig({ topology: 'macvlan-bridge', profile: 'quick' });
    expect(c.topologies.map((t) => t.name)).toEqual(['host', 'macvlan-bridge']);
    expect(c.workloads).toEqual(['tcp-stream', 'tcp-rr', 'tcp-crr']);
    expect(c.trials).toBeGreaterThanOrEqual(6);
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('flags override the profile', () => {
    const c = resolveRunConfig({ topology: 'all', profile: 'ci', workload: 'udp-pps,tcp-rr', path: 'all', trials: 7, duration: 4, warmup: 0, seed: 42 });
    expect(c.topologies).toHaveLength(9);
    expect(c.workloads).toEqual(['udp-pps', 'tcp-rr']);
    expect(c.paths).toEqual(['c1-peer', 'peer-c1', 'c1-c2']);
    expect([c.trials, c.durationS, c.warmup, c.seed]).toEqual([7, 4, 0, 42]);
  });
  it('names the valid choices for an unknown workload, path or profile', () => {
    expect(() => resolveRunConfig({ workload: 'tcp-maerts' })).toThrow(/unknown workload 'tcp-maerts'; valid workloads: tcp-stream, tcp-stream-4, udp-pps, tcp-rr, udp-rr, tcp-crr/);
    expect(() => resolveRunConfig({ path: 'c2-peer' })).toThrow(/valid paths: c1-peer, peer-c1, c1-c2/);
    expect(() => resolveRunConfig({ profile: 'huge' })).toThrow(/valid profiles: ci, quick, standard/);
  });
  it('refuses durations and trial counts out of range', () => {
    expect(() => resolveRunConfig({ duration: 0 })).toThrow(/--duration must be whole seconds from 1 to 600, or a fraction of a second from 0.2 in steps of 0.05/);
    expect(() => resolveRunConfig({ duration: 0.15 })).toThrow(/--duration must be whole seconds/);
    expect(() => resolveRunConfig({ duration: 1.5 })).toThrow(/--duration must be whole seconds/);
    expect(() => resolveRunConfig({ duration: 0.33 })).toThrow(/in steps of 0.05 \(trials sized by count\), got 0.33/);
    expect(resolveRunConfig({ duration: 0.25 }).durationS).toBe(0.25);
    expect(resolveRunConfig({ duration: 0.3 }).durationS).toBe(0.3);
    expect(() => resolveRunConfig({ trials: 101 })).toThrow(/--trials/);
  });
  it('makes sortable run ids', () => {
    expect(runIdFor(new Date('2026-11-28T07:30:05Z'), 'abcd')).toBe('20261128-073005-abcd');
  });
});

describe('trial order', () => {
  const cells: Cell[] = ['host', 'nat', 'bridge'].flatMap((topology) => (['tcp-stream', 'tcp-rr'] as const).map((workload) => ({ topology, workload, path: 'c1-peer' as const })));
  it('is the same for the same seed and differs for another', () => {
    const a = buildSchedule(cells, 3, 1, seededRng(7));
    const b = buildSchedule(cells, 3, 1, seededRng(7));
    const c = buildSchedule(cells, 3, 1, seededRng(8));
    expect(a).toEqual(b);
    expect(a.map((t) => t.topology + t.workload)).not.toEqual(c.map((t) => t.topology + t.workload));
  });
  it('puts warm-ups first, then complete blocks', () => {
    const s = buildSchedule(cells, 3, 1, seededRng(1));
    expect(s.slice(0, 6).every((t) => t.warmup && t.block === -1)).toBe(true);
    for (let b = 0; b < 3; b++) {
      const block = s.filter((t) => t.block === b);
      expect(block).toHaveLength(cells.length);
      expect(new Set(block.map((t) => t.topology + t.workload)).size).toBe(cells.length);
    }
    expect(s.map((t) => t.index)).toEqual(s.map((_, i) => i));
  });
  it('shuffles uniformly enough that every topology leads a block sometimes', () => {
    const rng = seededRng(3);
    const firsts = new Set<string>();
    for (let i = 0; i < 50; i++) firsts.add(shuffle(['host', 'nat', 'bridge'], rng)[0]!);
    expect(firsts.size).toBe(3);
  });
});

describe('paths', () => {
  const ep = { hostA: { netns: 'A', address: '198.18.0.1', ifname: 'a' }, peer: { netns: 'P', address: '198.18.0.2', ifname: 'p' }, containers: [{ netns: 'C1', address: '198.19.0.11', ifname: 'c1' }, { netns: 'C2', address: '198.19.0.12', ifname: 'c2' }] };
  it('peer reaches c1 under nat through hostA\'s published port', () => {
    const r = resolveRoute(resolveTopologyArg('nat'), ep, 'peer-c1');
    expect(r.ok && r.plan.target).toBe('198.18.0.1');
    expect(r.ok && r.plan.server.netns).toBe('C1');
  });
  it('host runs hostA to peer and says why c1-c2 does not apply', () => {
    const r = resolveRoute(resolveTopologyArg('host'), ep, 'c1-peer');
    expect(r.ok && r.plan.client.netns).toBe('A');
    expect(routeApplicability(resolveTopologyArg('host'), 'c1-c2')).toEqual({ ok: false, reason: 'not applicable, because the host baseline has no containers' });
  });
  it('gives a reason for every inapplicable path', () => {
    expect(routeApplicability(resolveTopologyArg('macvlan-private'), 'c1-c2')).toMatchObject({ ok: false, reason: expect.stringContaining('private isolates siblings') });
    expect(routeApplicability(resolveTopologyArg('macvlan-passthru'), 'c1-c2')).toMatchObject({ ok: false, reason: expect.stringContaining('single child') });
    expect(routeApplicability(resolveTopologyArg('macvlan-vepa'), 'c1-c2')).toEqual({ ok: true });
  });
});

describe('adaptive runs and what they judge', () => {
  it('profiles with a budget stop adaptively; --trials keeps its fixed meaning; --budget overrides', () => {
    expect(resolveRunConfig({ profile: 'quick' }).budgetS).toBe(300);
    expect(resolveRunConfig({ profile: 'quick', trials: 6 }).budgetS).toBeNull();
    expect(resolveRunConfig({ profile: 'quick', budget: '1m30s' }).budgetS).toBe(90);
    expect(resolveRunConfig({ profile: 'ci' }).budgetS).toBeNull();
    // the noise profile: the profile's seconds with a budget, at most a twentieth of it, none below 3 s; none for a fixed count unless asked
    expect(resolveRunConfig({ profile: 'quick' }).noiseS).toBe(10);
    expect(resolveRunConfig({ profile: 'quick', budget: '2m' }).noiseS).toBe(6);
    expect(resolveRunConfig({ profile: 'quick', budget: '40s' }).noiseS).toBe(0);
    expect(resolveRunConfig({ profile: 'quick', trials: 6 }).noiseS).toBe(0);
    expect(resolveRunConfig({ profile: 'quick', trials: 6, noiseProfile: 3 }).noiseS).toBe(3);
    expect(() => resolveRunConfig({ profile: 'quick', noiseProfile: 121 })).toThrow(/--noise-profile must be a whole number from 0 to 120/);
    expect(() => resolveRunConfig({ trials: 6, budget: '3m' })).toThrow(/--trials \(a fixed count of trials\) and --budget .* exclude each other/);
    expect(() => resolveRunConfig({ budget: '5s' })).toThrow(/--budget must be a duration from 20s to 24h such as 3m, 90s or 1m30s, got '5s'/);
    expect(() => resolveRunConfig({ budget: 'soon' })).toThrow(/got 'soon'/);
  });
  it('every profile can decide: adaptive, or enough fixed trials to bound a difference', () => {
    for (const profile of ['quick', 'standard', 'ci']) {
      const c = resolveRunConfig({ profile });
      expect(c.budgetS !== null || c.trials >= 6, profile).toBe(true);
      expect(c.trials, profile).toBeGreaterThanOrEqual(6);
    }
  });
  it('all topologies: macvlan modes against nat, bridge and ovs; a named topology: against host, plus --against', () => {
    expect(resolveRunConfig({}).sides).toEqual({ challengers: ['macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru'], against: ['nat', 'bridge', 'ovs', 'ebpf'] });
    expect(resolveRunConfig({ topology: 'macvlan-bridge' }).sides).toEqual({ challengers: ['macvlan-bridge'], against: ['host'] });
    const c = resolveRunConfig({ topology: 'macvlan-bridge', against: 'nat,ovs' });
    expect(c.topologies.map((t) => t.name)).toEqual(['host', 'macvlan-bridge', 'nat', 'ovs']);
    expect(c.sides).toEqual({ challengers: ['macvlan-bridge'], against: ['host', 'nat', 'ovs'] });
  });
});
