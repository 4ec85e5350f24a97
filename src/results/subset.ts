/** A run narrowed to some workloads and traffic paths: its settings, trials, summary and tracing alike. Pure. */
import type { Results } from './types.js';
import type { TrafficPath, WorkloadName } from '../workloads/registry.js';

export interface CellSelection {
  readonly workloads?: readonly WorkloadName[] | undefined;
  readonly paths?: readonly TrafficPath[] | undefined;
}

export function selectCells(r: Results, sel: CellSelection): Results {
  const w = (x: WorkloadName) => sel.workloads === undefined || sel.workloads.includes(x);
  const p = (x: TrafficPath) => sel.paths === undefined || sel.paths.includes(x);
  const keep = (c: { workload: WorkloadName; path: TrafficPath }) => w(c.workload) && p(c.path);
  const tracing = r.tracing && { ...r.tracing, cells: r.tracing.cells.filter(keep), cdf: r.tracing.cdf.filter(keep), hops: r.tracing.hops.filter(keep), overhead: r.tracing.overhead.filter(keep) };
  return {
    ...r,
    config: { ...r.config, workloads: r.config.workloads.filter(w), paths: r.config.paths.filter(p) },
    notApplicable: r.notApplicable.filter((n) => p(n.path)),
    trials: r.trials.filter(keep),
    summary: r.summary.filter(keep),
    ...(tracing ? { tracing } : {}),
  };
}
