/**
 * The order of trials: warm-ups first, then blocks. A block holds one trial of every
 * applicable (topology, workload, path) cell, in a seeded random order (cells of one
 * workload and path together), so drift hits every topology alike and each block pairs
 * with host's trial of the same block.
 */
import { cellKey, sameCell } from '../results/cell.js';
import type { Cell } from '../results/types.js';
import { type Rng, shuffle } from '../stats/rng.js';
import { sampleFor } from '../trace/tracer.js';

/**
 * One block's order: cells of the same workload and path run next to each other (the
 * groups in a seeded order, the cells shuffled within each), so the two trials of every
 * pair run seconds apart and slow drift of the machine cancels out of their ratio. On the
 * reference machine this halved the spread of tcp-rr's paired ratios (pairs under 6 s
 * apart: 4.4% median deviation, 12 s or more: 7.6%).
 */
export function blockOrder<C extends Cell>(cells: readonly C[], rng: Rng, byTopology = false): C[] {
  const lanes = new Map<string, C[]>();
  const key = (c: C) => (byTopology ? c.topology : `${c.workload} ${c.path}`);
  for (const c of cells) lanes.set(key(c), [...(lanes.get(key(c)) ?? []), c]);
  return shuffle([...lanes.values()], rng).flatMap((lane) => shuffle(lane, rng));
}

/** Two cells that a comparison pairs: they should run back to back. */
export type CellPair<C extends Cell = Cell> = readonly [C, C];

/** Each distinct pair of cells once (a comparison of two metrics of one workload pairs the same cells). */
export function distinctPairs<C extends Cell>(pairs: readonly CellPair<C>[]): CellPair<C>[] {
  const seen = new Set<string>();
  return pairs.filter(([a, b]) => {
    const k = [cellKey(a), cellKey(b)].sort().join('\u0001');
    if (seen.has(k) || cellKey(a) === cellKey(b)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Trails in which every pair's two cells stand next to each other: trails through
 * the pairs as edges, each trail started at a cell with an odd number of pairs left when
 * there is one (as an Euler trail is), the next pair taken in a seeded random order. K
 * pairs take K + (number of trails) trials: a cell that meets several others runs more
 * than once.
 */
export function coverPairs<C extends Cell>(pairs: readonly CellPair<C>[], rng: Rng): C[][] {
  const left = shuffle(distinctPairs(pairs), rng);
  const trails: C[][] = [];
  let seq: C[] = [];
  let cur: C | undefined;
  const degree = (c: C) => left.filter(([a, b]) => sameCell(a, c) || sameCell(b, c)).length;
  while (left.length > 0) {
    const at = cur === undefined ? -1 : left.findIndex(([a, b]) => sameCell(a, cur!) || sameCell(b, cur!));
    if (at < 0) {
      const ends = left.flatMap(([a, b]) => [a, b]);
      const odd = ends.filter((c) => degree(c) % 2 === 1);
      const from = odd.length ? odd : ends;
      cur = from[Math.floor(rng() * from.length)]!;
      seq = [cur];
      trails.push(seq);
      continue;
    }
    const [a, b] = left.splice(at, 1)[0]!;
    cur = sameCell(a, cur!) ? b : a;
    seq.push(cur);
  }
  return trails;
}

/**
 * A block in which the two sides of every comparison run back to back (the pairs), so
 * that their ratio is taken seconds apart at most, not across a lane of every topology:
 * the spread of a ratio grows with the time between its two measurements
 * (docs/methodology.md, "Trial design"). Cells of one workload and path stay together,
 * the lanes in a seeded order; a cell in no pair (host, where nothing is compared with
 * it) runs once at a random place in its lane.
 */
export function pairedBlockOrder<C extends Cell>(cells: readonly C[], pairs: readonly CellPair<C>[], rng: Rng): C[] {
  const lane = (c: Cell) => `${c.workload} ${c.path}`;
  const lanes = new Map<string, C[]>();
  for (const c of cells) lanes.set(lane(c), [...(lanes.get(lane(c)) ?? []), c]);
  const inBlock = (c: C) => cells.some((x) => sameCell(x, c));
  return shuffle([...lanes.entries()], rng).flatMap(([key, members]) => {
    const trails = coverPairs(pairs.filter(([a, b]) => lane(a) === key && lane(b) === key && inBlock(a) && inBlock(b)), rng);
    // between trails, never inside one: a trail's neighbours are pairs
    for (const c of shuffle(members.filter((m) => !trails.some((t) => t.some((s) => sameCell(s, m)))), rng)) trails.splice(Math.floor(rng() * (trails.length + 1)), 0, [c]);
    return trails.flat();
  });
}

/**
 * A block that runs each cell once, as blockOrder does, but in an order in which
 * consecutive cells are comparisons wherever it can: a path that steps to a cell sharing
 * an open comparison with the last one, the one with the fewest such comparisons left
 * (Warnsdorff's rule for paths through a graph; ties in a seeded random order), and
 * starts, or jumps when no neighbour is left, at such a cell too. A
 * run of every topology makes 6 of a lane's 12 comparisons back to back in each block,
 * a different 6 each time, at no cost in trials; as comparisons are decided the
 * remaining ones are more often adjacent (docs/methodology.md, "Trial design").
 */
export function chainBlockOrder<C extends Cell>(cells: readonly C[], pairs: readonly CellPair<C>[], rng: Rng): C[] {
  const lane = (c: Cell) => `${c.workload} ${c.path}`;
  const lanes = new Map<string, C[]>();
  for (const c of cells) lanes.set(lane(c), [...(lanes.get(lane(c)) ?? []), c]);
  const linked = (a: C, b: C) => pairs.some(([x, y]) => (sameCell(x, a) && sameCell(y, b)) || (sameCell(x, b) && sameCell(y, a)));
  return shuffle([...lanes.values()], rng).flatMap((members) => {
    const left = shuffle(members, rng);
    const seq: C[] = [];
    const links = (c: C) => left.filter((d) => d !== c && linked(c, d)).length;
    // the cell with the fewest links left among `from`, the first of equals (the order is shuffled)
    const fewest = (from: readonly C[]) => from.reduce<C | undefined>((best, c) => (best === undefined || links(c) < links(best) ? c : best), undefined);
    while (left.length > 0) {
      const last = seq[seq.length - 1];
      const next = (last !== undefined ? fewest(left.filter((c) => linked(last, c))) : undefined) ?? fewest(left.filter((c) => links(c) > 0)) ?? left[0]!;
      left.splice(left.indexOf(next), 1);
      seq.push(next);
    }
    return seq;
  });
}

/**
 * Keep each topology's items together, in the order the topologies first appear (a
 * real-host run builds one topology at a time on the test NICs: every change of topology
 * is a rebuild, so a block groups by topology instead of by workload and path).
 */
export function topologiesTogether<T>(items: readonly T[], topology: (x: T) => string): T[] {
  const order = [...new Set(items.map(topology))];
  return [...items].sort((a, b) => order.indexOf(topology(a)) - order.indexOf(topology(b)));
}

/**
 * A tracing block: one untraced and one traced trial of every cell. Cells are grouped by
 * topology and path (the groups in a seeded order): within a group the untraced trials
 * (shuffled) and the same cells traced run one after the other, so that each traced
 * trial's twin ran seconds from it in the same block, and one sampler serves the whole
 * traced run of the group. Which half runs first alternates from block to block
 * (`tracedFirst`): whatever slows a group's second half (the machine's drift, state the
 * first half left, such as connection tracking entries) then falls on the traced trials
 * in half the blocks and on their twins in the other half, and cancels out of the mean
 * ratio instead of showing as the observer's cost (docs/methodology.md, "Tracing").
 * The untraced trials are the block's ordinary measured trials.
 */
export function tracingBlockOrder<C extends Cell>(cells: readonly C[], rng: Rng, byTopology = false, tracedFirst = false): { cell: C; traced: boolean }[] {
  const groups = new Map<string, C[]>();
  for (const c of cells) groups.set(`${c.topology} ${c.path}`, [...(groups.get(`${c.topology} ${c.path}`) ?? []), c]);
  const shuffled = shuffle([...groups.values()], rng);
  return (byTopology ? topologiesTogether(shuffled, (g) => g[0]!.topology) : shuffled).flatMap((g) => {
    const untraced = shuffle(g, rng).map((cell) => ({ cell, traced: false }));
    const traced = [...g].sort((x, y) => sampleFor(x.workload) - sampleFor(y.workload)).map((cell) => ({ cell, traced: true }));
    return tracedFirst ? [...traced, ...untraced] : [...untraced, ...traced];
  });
}

export interface ScheduledTrial extends Cell {
  readonly index: number;
  /** -1 for warm-up trials */
  readonly block: number;
  readonly warmup: boolean;
  /** traced trials run beside their block's untraced ones, to measure the stack and the tracing overhead */
  readonly traced: boolean;
}

/**
 * Warm-ups, then `trials` blocks (the first `tracedBlocks` of them tracing blocks). With
 * `pairs` (and not byTopology) each plain block runs each cell once with pairs side by
 * side where it can (chainBlockOrder), or with 'adjacent' every pair back to back
 * (pairedBlockOrder); without, each cell once, shuffled (blockOrder).
 */
export function buildSchedule(cells: readonly Cell[], trials: number, warmup: number, rng: Rng, tracedBlocks = 0, byTopology = false, pairs?: readonly CellPair[], pairing: 'chain' | 'adjacent' = 'chain'): ScheduledTrial[] {
  const out: ScheduledTrial[] = [];
  // one warm-up per (topology, workload), on its first applicable path
  const seen = new Map<string, Set<string>>();
  const warmCells = cells.filter((c) => {
    const workloads = seen.get(c.topology) ?? new Set<string>();
    if (workloads.has(c.workload)) return false;
    seen.set(c.topology, workloads.add(c.workload));
    return true;
  });
  for (let w = 0; w < warmup; w++) {
    const order = shuffle(warmCells, rng);
    for (const c of byTopology ? topologiesTogether(order, (x) => x.topology) : order) out.push({ ...c, index: out.length, block: -1, warmup: true, traced: false });
  }
  for (let b = 0; b < trials; b++) {
    // the first `tracedBlocks` blocks pair every cell's untraced trial with a traced one
    const plain = pairs && !byTopology ? (pairing === 'adjacent' ? pairedBlockOrder(cells, pairs, rng) : chainBlockOrder(cells, pairs, rng)) : blockOrder(cells, rng, byTopology);
    const order = b < tracedBlocks ? tracingBlockOrder(cells, rng, byTopology, b % 2 === 1) : plain.map((cell) => ({ cell, traced: false }));
    for (const { cell, traced } of order) out.push({ ...cell, index: out.length, block: b, warmup: false, traced });
  }
  return out;
}
