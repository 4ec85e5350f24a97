/**
 * A cell: one (topology, workload, traffic path) combination, the unit that trials are
 * scheduled, summarized, compared and gated by. One key format and one definition of
 * "the measured trials of a cell" for every layer that needs them.
 */
import type { TrafficPath, WorkloadName } from '../workloads/registry.js';
import type { FailedTrial, OkTrial, TrialRecord } from './types.js';

export interface Cell {
  readonly topology: string;
  readonly workload: WorkloadName;
  readonly path: TrafficPath;
}

/** The one key for a cell in maps: fields joined by a character no name may contain. */
export function cellKey(c: Cell): string {
  return `${c.topology}\u0000${c.workload}\u0000${c.path}`;
}

export function sameCell(a: Cell, b: Cell): boolean {
  return a.topology === b.topology && a.workload === b.workload && a.path === b.path;
}

/** A trial whose figures count: not a warm-up, not traced, it succeeded, and the machine was not busy during it. */
export function isMeasured(t: TrialRecord): t is OkTrial {
  return !t.warmup && !t.traced && t.status === 'ok' && t.contaminated === undefined;
}

/** The measured trials of a cell (see isMeasured). */
export function measuredTrials(trials: readonly TrialRecord[], cell: Cell): OkTrial[] {
  return trials.filter((t): t is OkTrial => isMeasured(t) && sameCell(t, cell));
}

/** The traced trials of a cell that succeeded (they measure the stack and the tracing overhead). */
export function tracedTrials(trials: readonly TrialRecord[], cell: Cell): OkTrial[] {
  return trials.filter((t): t is OkTrial => !t.warmup && t.traced && t.status === 'ok' && sameCell(t, cell));
}

/** A metric's finite values in a cell's measured trials, keyed by block (for pairing). */
export function blockValues(trials: readonly TrialRecord[], cell: Cell, metric: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of measuredTrials(trials, cell)) {
    const v = t.metrics[metric]?.value;
    if (v !== undefined && Number.isFinite(v)) m.set(t.block, v);
  }
  return m;
}

/** A metric's finite values in a cell's measured trials, every one of them (a block may hold a cell more than once). */
export function measuredValues(trials: readonly TrialRecord[], cell: Cell, metric: string): number[] {
  return measuredTrials(trials, cell).flatMap((t) => {
    const v = t.metrics[metric]?.value;
    return v !== undefined && Number.isFinite(v) ? [v] : [];
  });
}

/**
 * Two cells' figures paired within each block: the pair of measured trials closest in
 * time (their start times; then their distance in the schedule). A block that runs each cell once pairs
 * those two; a block that ran a comparison's sides back to back pairs them, whatever
 * else the block ran (docs/methodology.md, "Trial design"). Keyed by block, as
 * pairedLogRatios expects.
 */
export function nearestPairs(trials: readonly TrialRecord[], a: Cell, b: Cell, metric: string): { a: Map<number, number>; b: Map<number, number> } {
  const byBlock = (cell: Cell) => {
    const m = new Map<number, { at: number; index: number; v: number }[]>();
    for (const t of measuredTrials(trials, cell)) {
      const v = t.metrics[metric]?.value;
      if (v === undefined || !Number.isFinite(v)) continue;
      const at = Date.parse(t.startedAt);
      m.set(t.block, [...(m.get(t.block) ?? []), { at: Number.isFinite(at) ? at : 0, index: t.index, v }]);
    }
    return m;
  };
  const as = byBlock(a);
  const bs = byBlock(b);
  const out = { a: new Map<number, number>(), b: new Map<number, number>() };
  for (const [block, xs] of as) {
    const ys = bs.get(block);
    if (!ys) continue;
    let best: { dt: number; di: number; x: number; y: number } | undefined;
    for (const x of xs) {
      for (const y of ys) {
        const dt = Math.abs(x.at - y.at);
        const di = Math.abs(x.index - y.index);
        if (!best || dt < best.dt || (dt === best.dt && di < best.di)) best = { dt, di, x: x.v, y: y.v };
      }
    }
    out.a.set(block, best!.x);
    out.b.set(block, best!.y);
  }
  return out;
}

/** Group records by cell, in first-seen order. */
export function byCell<T extends Cell>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const x of items) {
    const k = cellKey(x);
    const g = groups.get(k);
    if (g) g.push(x);
    else groups.set(k, [x]);
  }
  return groups;
}

/** Measured trials (not warm-ups) that failed, with their reasons. */
export function failedTrials(trials: readonly TrialRecord[]): FailedTrial[] {
  return trials.filter((t): t is FailedTrial => t.status === 'failed' && !t.warmup);
}
