/**
 * What makes a current run unfit to pass the gate, whatever its figures: a run that did
 * not complete, trials that all failed, figures of zero or below (nothing ran), and cells
 * the baseline measured that the current run lacks. Each is one clear line; any of them
 * fails the gate (exit 4), because a gate that passes a broken build is worse than none.
 */
import { measuredTrials } from '../results/cell.js';
import type { Cell, Results } from '../results/types.js';
import { workload as workloadDef } from '../workloads/registry.js';

export interface GateProblem {
  readonly kind: 'status' | 'all-failed' | 'non-positive' | 'missing-cell';
  readonly message: string;
}

const cellName = (c: Cell) => `${c.topology} ${c.workload} ${c.path}`;

/** Cells with at least one measured trial, in the run's order. */
function measuredCells(r: Results): Cell[] {
  const out: Cell[] = [];
  for (const topology of r.config.topologies) {
    for (const workload of r.config.workloads) {
      for (const path of r.config.paths) {
        const c = { topology, workload, path };
        if (measuredTrials(r.trials, c).length > 0) out.push(c);
      }
    }
  }
  return out;
}

export function currentRunProblems(baseline: Results, current: Results, ignore: readonly string[] = []): GateProblem[] {
  const out: GateProblem[] = [];
  if (current.status !== 'complete') {
    out.push({ kind: 'status', message: `the current run ${current.runId} is ${current.status}, not complete${current.statusReason ? ` (${current.statusReason})` : ''}` });
  }
  const measured = current.trials.filter((t) => !t.warmup && !t.traced);
  const failed = measured.filter((t) => t.status === 'failed');
  if (measured.length === 0) out.push({ kind: 'all-failed', message: `the current run ${current.runId} has no measured trial` });
  else if (failed.length === measured.length) out.push({ kind: 'all-failed', message: `every one of the current run's ${measured.length} measured trials failed (first: ${failed[0]?.status === 'failed' ? failed[0].error : ''})` });
  for (const t of measured) {
    if (t.status !== 'ok') continue;
    for (const def of workloadDef(t.workload).metrics) {
      const v = t.metrics[def.name]?.value;
      if (v !== undefined && def.positive && !(v > 0) && !ignore.includes(def.name)) {
        out.push({ kind: 'non-positive', message: `${cellName(t)} trial ${t.index}: ${def.name} is ${v} ${def.unit}, which no working run measures` });
      }
    }
  }
  const have = new Set(measuredCells(current).map(cellName));
  for (const c of measuredCells(baseline)) {
    if (!have.has(cellName(c))) out.push({ kind: 'missing-cell', message: `the current run lacks ${cellName(c)}, which the baseline ${baseline.runId} measured` });
  }
  return out;
}
