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
export function blockOrder<C extends Cell>(cells: readonly C[], rng: Rng): C[] {
  const lanes = new Map<string, C[]>();
  for (const c of cells) lanes.set(`${c.workload} ${c.path}`, [...(lanes.get(`${c.workload} ${c.path}`) ?? []), c]);
  return shuffle([...lanes.values()], rng).flatMap((lane) => shuffle(lane, rng));
}

/**
 * A tracing block: one untraced and one traced trial of every cell. Cells are grouped by
 * topology and path (the groups in a seeded order): a group's untraced trials run first
 * (shuffled), then the same cells traced, so that each traced trial's twin ran seconds
 * before it in the same block, and one sampler serves the whole traced run of the group.
 * The untraced trials are the block's ordinary measured trials.
 */
export function tracingBlockOrder<C extends Cell>(cells: readonly C[], rng: Rng): { cell: C; traced: boolean }[] {
  const groups = new Map<string, C[]>();
  for (const c of cells) groups.set(`${c.topology} ${c.path}`, [...(groups.get(`${c.topology} ${c.path}`) ?? []), c]);
  return shuffle([...groups.values()], rng).flatMap((g) => [
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

export function buildSchedule(cells: readonly Cell[], trials: number, warmup: number, rng: Rng, tracedBlocks = 0): ScheduledTrial[] {
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
    for (const c of shuffle(warmCells, rng)) out.push({ ...c, index: out.length, block: -1, warmup: true, traced: false });
  }
  for (let b = 0; b < trials; b++) {
    // the first `tracedBlocks` blocks pair every cell's untraced trial with a traced one
    const order = b < tracedBlocks ? tracingBlockOrder(cells, rng) : blockOrder(cells, rng).map((cell) => ({ cell, traced: false }));
    for (const { cell, traced } of order) out.push({ ...cell, index: out.length, block: b, warmup: false, traced });
  }
  return out;
}
