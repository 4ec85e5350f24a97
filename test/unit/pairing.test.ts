/**
 * Pairs close in time: a block runs each comparison's two sides back to back, and
 * comparisons pair the two trials of a block closest in time.
 */
import { describe, expect, it } from 'vitest';
import { cellKey, nearestPairs } from '../../src/results/cell.js';
import { comparisonSides, comparisonSpecs, specCells } from '../../src/results/comparisons.js';
import type { Cell } from '../../src/results/types.js';
import { seededRng } from '../../src/stats/rng.js';
import { buildSchedule, chainBlockOrder, coverPairs, distinctPairs, pairedBlockOrder, tracingBlockOrder } from '../../src/run/schedule.js';
import { trial } from '../support/synthetic.js';

const ALL = ['host', 'nat', 'bridge', 'ovs', 'macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru'];
const cell = (topology: string, workload: Cell['workload'] = 'tcp-rr'): Cell => ({ topology, workload, path: 'c1-peer' });
const adjacentIn = (seq: readonly Cell[], a: Cell, b: Cell) => seq.some((c, i) => i > 0 && ((cellKey(c) === cellKey(a) && cellKey(seq[i - 1]!) === cellKey(b)) || (cellKey(c) === cellKey(b) && cellKey(seq[i - 1]!) === cellKey(a))));

describe('a block that runs every comparison back to back', () => {
  // made in each test, not as the file loads, so that the mutation run sees which test reaches the code (docs/testing.md)
  const cells = ['tcp-rr', 'tcp-stream'].flatMap((w) => ALL.map((t) => cell(t, w as Cell['workload'])));
  const pairsOf = () => comparisonSpecs(comparisonSides(ALL, 'all'), ['tcp-rr', 'tcp-stream'], ['c1-peer']).map(specCells);

  it('the quick run\'s lane: 12 comparisons, each pair of cells side by side, in about 14 trials', () => {
    const pairs = pairsOf();
    for (let seed = 1; seed <= 50; seed++) {
      const order = pairedBlockOrder(cells, pairs, seededRng(seed));
      for (const [a, b] of distinctPairs(pairs)) expect(adjacentIn(order, a, b), `seed ${seed}: ${a.topology} ${b.topology} ${a.workload}`).toBe(true);
      // lanes stay together: every tcp-rr trial before every tcp-stream one, or after
      const lanes = order.map((c) => c.workload).filter((w, i, all) => i === 0 || w !== all[i - 1]);
      expect(lanes).toHaveLength(2);
      // every cell runs; host, compared with nothing, exactly once a lane
      for (const c of cells) expect(order.some((o) => cellKey(o) === cellKey(c))).toBe(true);
      expect(order.filter((c) => c.topology === 'host')).toHaveLength(2);
      // 12 edges of K(4,3) need two trails at least: 14 trials, plus host
      for (const w of ['tcp-rr', 'tcp-stream']) expect(order.filter((c) => c.workload === w).length).toBeLessThanOrEqual(16);
    }
  });

  it('is seeded: the same seed gives the same order, another seed another, both directions of a pair occur', () => {
    const pairs = pairsOf();
    const a = pairedBlockOrder(cells, pairs, seededRng(7)).map(cellKey);
    expect(pairedBlockOrder(cells, pairs, seededRng(7)).map(cellKey)).toEqual(a);
    expect(pairedBlockOrder(cells, pairs, seededRng(8)).map(cellKey)).not.toEqual(a);
    let first = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const [seq] = coverPairs([[cell('nat'), cell('macvlan-bridge')]], seededRng(seed));
      expect(seq).toHaveLength(2);
      if (seq![0]!.topology === 'nat') first++;
    }
    expect(first).toBeGreaterThan(8);
    expect(first).toBeLessThan(32);
  });

  it('a cell no longer in any open comparison runs once, and a pair whose cell is not in the block is dropped', () => {
    const few = [cell('host'), cell('nat'), cell('macvlan-bridge')];
    const order = pairedBlockOrder(few, [[cell('nat'), cell('macvlan-bridge')], [cell('bridge'), cell('macvlan-bridge')]], seededRng(3));
    expect(order.map((c) => c.topology).sort()).toEqual(['host', 'macvlan-bridge', 'nat']);
    expect(adjacentIn(order, cell('nat'), cell('macvlan-bridge'))).toBe(true);
  });
});

describe('a chain: each cell once, comparisons side by side where they can be', () => {
  const cells = ALL.map((t) => cell(t));
  const pairsOf = () => distinctPairs(comparisonSpecs(comparisonSides(ALL, 'all'), ['tcp-rr'], ['c1-peer']).map(specCells));
  const adjacentPairs = (seq: readonly Cell[], pairs: ReturnType<typeof pairsOf>) => pairs.filter(([a, b]) => adjacentIn(seq, a, b)).length;

  it('costs what a shuffled block costs, and puts 6 of the 12 comparisons back to back, a different 6 each block', () => {
    const pairs = pairsOf();
    const seen = new Map<string, number>();
    for (let seed = 1; seed <= 60; seed++) {
      const order = chainBlockOrder(cells, pairs, seededRng(seed));
      expect(order.map(cellKey).sort()).toEqual(cells.map(cellKey).sort());
      // macvlan and the incumbents alternate: 4 + 3 cells give 6 links, the most a path of them can have
      expect(adjacentPairs(order, pairs), order.map((c) => c.topology).join(' ')).toBe(6);
      for (const [a, b] of pairs) if (adjacentIn(order, a, b)) seen.set(`${a.topology} ${b.topology}`, (seen.get(`${a.topology} ${b.topology}`) ?? 0) + 1);
    }
    // every comparison gets its turn
    expect(seen.size).toBe(12);
  });

  it('as comparisons are decided, the open ones all stand side by side', () => {
    const pairs = pairsOf();
    // only bridge is left open against the four macvlan modes: a star, of which a path holds two links
    const open = pairs.filter(([, b]) => b.topology === 'bridge');
    const active = cells.filter((c) => c.topology !== 'nat' && c.topology !== 'ovs');
    const openPairs = (seq: readonly Cell[]) => open.filter(([a, b]) => adjacentIn(seq, a, b)).length;
    for (let seed = 1; seed <= 20; seed++) expect(openPairs(chainBlockOrder(active, open, seededRng(seed)))).toBe(2);
    const two = pairs.filter(([a, b]) => b.topology === 'bridge' && (a.topology === 'macvlan-bridge' || a.topology === 'macvlan-vepa'));
    for (let seed = 1; seed <= 20; seed++) {
      const order = chainBlockOrder(active, two, seededRng(seed));
      for (const [a, b] of two) expect(adjacentIn(order, a, b)).toBe(true);
    }
  });
});

describe('pairs closest in time', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 9, 0, s)).toISOString();
  it('within a block, the two trials nearest each other pair; a block runs a cell several times', () => {
    // block 0: nat(0s) host(1s) mvb(2s) nat(3s): mvb pairs with the nat next to it
    const trials = [trial('nat', 0, 100, { index: 0, startedAt: at(0) }), trial('host', 0, 500, { index: 1, startedAt: at(1) }), trial('macvlan-bridge', 0, 210, { index: 2, startedAt: at(2) }), trial('nat', 0, 200, { index: 3, startedAt: at(3) })];
    const p = nearestPairs(trials, cell('macvlan-bridge'), cell('nat'), 'tps');
    expect([...p.a]).toEqual([[0, 210]]);
    expect([...p.b]).toEqual([[0, 200]]);
    // the ratio to host pairs nat with the host trial nearest it: the first nat (1 s away)
    expect([...nearestPairs(trials, cell('nat'), cell('host'), 'tps').a]).toEqual([[0, 100]]);
  });
  it('the nearest in time wins, whatever the order of the run; at equal times, the nearest in the run order', () => {
    // host at 1 s (index 5); nat at 0 s (index 0) is 1 s away, nat at 3 s (index 4) is 2 s away but nearer in order
    const first = [trial('nat', 0, 100, { index: 0, startedAt: at(0) }), trial('nat', 0, 200, { index: 4, startedAt: at(3) }), trial('host', 0, 500, { index: 5, startedAt: at(1) })];
    expect([...nearestPairs(first, cell('nat'), cell('host'), 'tps').a]).toEqual([[0, 100]]);
    // both nat trials 1 s from host: the one 3 places away in the run (index 8), not the one 5 away (index 0)
    const tie = [trial('nat', 0, 100, { index: 0, startedAt: at(0) }), trial('nat', 0, 200, { index: 8, startedAt: at(2) }), trial('host', 0, 500, { index: 5, startedAt: at(1) })];
    expect([...nearestPairs(tie, cell('nat'), cell('host'), 'tps').a]).toEqual([[0, 200]]);
    // and of two equally near in both, the first stays
    const same = [trial('nat', 0, 100, { index: 4, startedAt: at(0) }), trial('nat', 0, 200, { index: 6, startedAt: at(2) }), trial('host', 0, 500, { index: 5, startedAt: at(1) })];
    expect([...nearestPairs(same, cell('nat'), cell('host'), 'tps').a]).toEqual([[0, 100]]);
  });
  it('one trial of each a block pairs them, as blocks always did; a block without one side gives no pair', () => {
    const trials = [trial('nat', 0, 100), trial('host', 0, 500), trial('nat', 1, 110)];
    const p = nearestPairs(trials, cell('nat'), cell('host'), 'tps');
    expect([...p.a]).toEqual([[0, 100]]);
    expect([...p.b]).toEqual([[0, 500]]);
  });
});

describe('tracing blocks: traced trials and their untraced twins', () => {
  const cells = ['tcp-rr', 'tcp-stream', 'tcp-crr'].flatMap((w) => ['host', 'nat'].map((t) => cell(t, w as Cell['workload'])));

  it('a group runs its untraced half and its traced half one after the other, the traced half first in every other block', () => {
    const schedule = buildSchedule(cells, 4, 0, seededRng(7), 4);
    for (let b = 0; b < 4; b++) {
      const block = schedule.filter((t) => t.block === b);
      expect(block).toHaveLength(cells.length * 2);
      // each group (topology, path) is one untraced half and one traced half, in the block's order
      for (const topology of ['host', 'nat']) {
        const group = block.filter((t) => t.topology === topology);
        const halves = group.map((t) => t.traced).filter((x, i, all) => i === 0 || x !== all[i - 1]);
        expect(halves, `block ${b} ${topology}`).toEqual(b % 2 === 1 ? [true, false] : [false, true]);
        // the group's trials are consecutive: one sampler serves its traced half
        const at = group.map((t) => block.indexOf(t));
        expect(Math.max(...at) - Math.min(...at), `block ${b} ${topology}`).toBe(group.length - 1);
      }
    }
    // plain blocks after the tracing ones trace nothing
    expect(buildSchedule(cells, 3, 0, seededRng(7), 1).filter((t) => t.block > 0 && t.traced)).toEqual([]);
  });

  it('the order is the same for the same seed, and the parity, not the seed, picks which half goes first', () => {
    expect(tracingBlockOrder(cells, seededRng(3), false, true)).toEqual(tracingBlockOrder(cells, seededRng(3), false, true));
    for (let seed = 1; seed <= 20; seed++) {
      expect(tracingBlockOrder(cells, seededRng(seed), false, true)[0]!.traced).toBe(true);
      expect(tracingBlockOrder(cells, seededRng(seed), false, false)[0]!.traced).toBe(false);
    }
  });
});
