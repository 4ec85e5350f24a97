/**
 * The order of trials: warm-ups first, then blocks. A block holds one trial of every
 * applicable (topology, workload, path) cell, in a seeded random order (cells of one
 * workload and path together), so drift hits every topology alike and each block pairs
 * with host's trial of the same block.
 */
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
 * topology and path (the groups in a seeded order): a group's untraced trials run first
 * (shuffled), then the same cells traced, so that each traced trial's twin ran seconds
 * before it in the same block, and one sampler serves the whole traced run of the group.
 * The untraced trials are the block's ordinary measured trials.
 */
export function tracingBlockOrder<C extends Cell>(cells: readonly C[], rng: Rng, byTopology = false): { cell: C; traced: boolean }[] {
  const groups = new Map<string, C[]>();
  for (const c of cells) groups.set(`${c.topology} ${c.path}`, [...(groups.get(`${c.topology} ${c.path}`) ?? []), c]);
  const shuffled = shuffle([...groups.values()], rng);
  return (byTopology ? topologiesTogether(shuffled, (g) => g[0]!.topology) : shuffled).flatMap((g) => [
    ...shuffle(g, rng).map((cell) => ({ cell, traced: false })),
    ...[...g].sort((x, y) => sampleFor(x.workload) - sampleFor(y.workload)).map((cell) => ({ cell, traced: true })),
  ]);
}

export interface ScheduledTrial extends Cell {
  readonly index: number;
  /** -1 for warm-up trials */
  readonly block: number;
  readonly warmup: boolean;
  /** traced trials run beside their block's untraced ones, to measure the stack and the tracing overhead */
  readonly traced: boolean;
}

export function buildSchedule(cells: readonly Cell[], trials: number, warmup: number, rng: Rng, tracedBlocks = 0, byTopology = false): ScheduledTrial[] {
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
    const order = b < tracedBlocks ? tracingBlockOrder(cells, rng, byTopology) : blockOrder(cells, rng, byTopology).map((cell) => ({ cell, traced: false }));
    for (const { cell, traced } of order) out.push({ ...cell, index: out.length, block: b, warmup: false, traced });
  }
  return out;
}
