/**
 * The order of trials: warm-ups first, then blocks. A block holds one trial of every
 * applicable (topology, workload, path) cell, in a seeded random order, so drift hits
 * every topology alike and each block pairs with host's trial of the same block.
 */
import type { Cell } from '../results/types.js';
import { type Rng, shuffle } from '../stats/rng.js';

export interface ScheduledTrial extends Cell {
  readonly index: number;
  /** -1 for warm-up trials */
  readonly block: number;
  readonly warmup: boolean;
  /** traced trials run beside the untraced ones, to measure the stack and the tracing overhead */
  readonly traced: boolean;
}

export function buildSchedule(cells: readonly Cell[], trials: number, warmup: number, rng: Rng, tracedTrials = 0): ScheduledTrial[] {
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
    // the first `tracedTrials` blocks also hold one traced trial of every cell, shuffled in
    const entries = [...cells.map((c) => ({ c, traced: false })), ...(b < tracedTrials ? cells.map((c) => ({ c, traced: true })) : [])];
    for (const e of shuffle(entries, rng)) out.push({ ...e.c, index: out.length, block: b, warmup: false, traced: e.traced });
  }
  return out;
}
