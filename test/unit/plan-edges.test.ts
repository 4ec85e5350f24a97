/**
 * What a fixed plan is made of, at its edges: which cells are planned and why the others
 * are not, one warm-up per topology and workload, and what each pairing does to a block
 * (each cell once; every comparison back to back, cells repeated; by topology).
 */
import { describe, expect, it } from 'vitest';
import { fixedPlanner, planCells } from '../../src/run/plan.js';
import { buildSchedule, type CellPair, type ScheduledTrial } from '../../src/run/schedule.js';
import { seededRng } from '../../src/stats/rng.js';
import { resolveTopologyArg } from '../../src/topology/registry.js';
import type { Cell } from '../../src/results/types.js';

const cell = (topology: string, workload: Cell['workload'] = 'tcp-rr', path: Cell['path'] = 'c1-peer'): Cell => ({ topology, workload, path });
const key = (c: Cell) => `${c.topology} ${c.workload} ${c.path}`;
const drain = (p: { next(): ScheduledTrial | undefined }) => {
  const out: ScheduledTrial[] = [];
  for (let t = p.next(); t; t = p.next()) out.push(t);
  return out;
};
const block = (s: readonly ScheduledTrial[], b: number) => s.filter((t) => t.block === b && !t.warmup).map(key);

describe('the cells a run plans', () => {
  const topologies = ['host', 'bridge', 'nat'].map((n) => resolveTopologyArg(n));
  const cfg = { topologies, workloads: ['tcp-rr', 'tcp-stream'] as Cell['workload'][], paths: ['c1-peer', 'c1-c2'] as Cell['path'][] };

  it('every workload of each applicable, built path; a path without containers and a broken build each say why', () => {
    const { cells, notApplicable } = planCells(cfg, new Set(['host', 'bridge']));
    expect(cells.map(key)).toEqual(['host tcp-rr c1-peer', 'host tcp-stream c1-peer', 'bridge tcp-rr c1-peer', 'bridge tcp-stream c1-peer', 'bridge tcp-rr c1-c2', 'bridge tcp-stream c1-c2']);
    expect(notApplicable.map((n) => `${n.topology} ${n.path}`)).toEqual(['host c1-c2', 'nat c1-peer', 'nat c1-c2']);
    expect(notApplicable[1]!.reason).toBe('not measured, because nat could not be built or is broken (see caveats)');
    expect(notApplicable[0]!.reason).toMatch(/host/);
  });

  it('a (topology, path) the build already found unreachable is neither planned nor explained twice', () => {
    const known = [{ topology: 'bridge', path: 'c1-c2' as const, reason: 'unreachable on this hardware' }];
    const { cells, notApplicable } = planCells(cfg, new Set(['host', 'bridge', 'nat']), known);
    expect(cells.some((c) => c.topology === 'bridge' && c.path === 'c1-c2')).toBe(false);
    expect(cells.some((c) => c.topology === 'bridge' && c.path === 'c1-peer')).toBe(true);
    expect(cells.some((c) => c.topology === 'nat' && c.path === 'c1-c2')).toBe(true);
    expect(notApplicable.map((n) => `${n.topology} ${n.path}`)).toEqual(['host c1-c2']);
  });
});

describe('warm-ups', () => {
  it('one per topology and workload, on its first path, `warmup` times over, before block 0', () => {
    const cells = [cell('bridge', 'tcp-rr', 'c1-peer'), cell('bridge', 'tcp-rr', 'c1-c2'), cell('bridge', 'tcp-stream', 'c1-c2'), cell('nat', 'tcp-rr', 'c1-peer')];
    const s = buildSchedule(cells, 1, 2, seededRng(4));
    const warm = s.filter((t) => t.warmup);
    expect(warm.map(key).sort()).toEqual(['bridge tcp-rr c1-peer', 'bridge tcp-rr c1-peer', 'bridge tcp-stream c1-c2', 'bridge tcp-stream c1-c2', 'nat tcp-rr c1-peer', 'nat tcp-rr c1-peer']);
    expect(warm.every((t) => t.block === -1 && !t.traced)).toBe(true);
    expect(s.slice(0, 6).every((t) => t.warmup)).toBe(true);
    expect(s.map((t) => t.index)).toEqual(s.map((_, i) => i));
    // by topology: each warm-up round keeps a topology's cells together
    const byTop = buildSchedule([cell('a'), cell('b'), cell('a', 'tcp-stream'), cell('b', 'tcp-stream')], 0, 3, seededRng(9), 0, true);
    for (let w = 0; w < 3; w++) {
      const round = byTop.slice(w * 4, w * 4 + 4).map((t) => t.topology);
      expect(round[0]).toBe(round[1]);
      expect(round[2]).toBe(round[3]);
    }
  });
});

describe('what the pairing does to a fixed plan', () => {
  // host and three topologies in one lane; the comparisons are the three against host and a against b
  const cells = ['host', 'a', 'b', 'c'].map((t) => cell(t));
  const pairs: CellPair[] = [[cells[1]!, cells[0]!], [cells[2]!, cells[0]!], [cells[3]!, cells[0]!], [cells[1]!, cells[2]!]];
  const plan = (pairing: 'chain' | 'adjacent' | 'block' | undefined, byTopology = false) => drain(fixedPlanner(cells, { trials: 3, warmup: 0, seed: 5, pairs, byTopology, ...(pairing ? { pairing } : {}) }, 0));

  it('chain and block run each cell once a block; adjacent runs every comparison back to back, repeating cells', () => {
    for (const p of ['chain', 'block', undefined] as const) {
      const s = plan(p);
      for (const b of [0, 1, 2]) expect(block(s, b).sort(), `${p} block ${b}`).toEqual(cells.map(key).sort());
    }
    const adj = plan('adjacent');
    for (const b of [0, 1, 2]) {
      const order = block(adj, b).map((k) => k.split(' ')[0]!);
      expect(order.length).toBeGreaterThan(cells.length);
      const adjacent = new Set(order.slice(1).map((t, i) => [order[i]!, t].sort().join('-')));
      for (const [x, y] of pairs) expect(adjacent.has([x.topology, y.topology].sort().join('-')), `adjacent block ${b}: ${order.join(' ')}`).toBe(true);
    }
  });

  it('chain puts compared cells side by side wherever it can; block is a plain shuffle that does not look at the pairs', () => {
    const sideBySide = (s: readonly ScheduledTrial[]) => {
      let n = 0;
      for (const b of [0, 1, 2]) {
        const order = block(s, b).map((k) => k.split(' ')[0]!);
        n += order.slice(1).filter((t, i) => pairs.some(([x, y]) => (x.topology === t && y.topology === order[i]) || (y.topology === t && x.topology === order[i]))).length;
      }
      return n;
    };
    // 4 cells a block: at most 3 neighbours, and the chain finds 3 every time
    expect(sideBySide(plan('chain'))).toBe(9);
    // the same seeds with pairs ignored: what a shuffle gives (fewer side by side for this seed)
    expect(sideBySide(plan('block'))).toBeLessThan(9);
  });

  it('by topology (real hosts) ignores the pairs: each cell once, shuffled', () => {
    const s = plan('adjacent', true);
    for (const b of [0, 1, 2]) expect(block(s, b).sort()).toEqual(cells.map(key).sort());
  });
});
