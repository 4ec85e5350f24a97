/**
 * What a run was asked to measure and did not: topologies that could not be built or
 * were broken, cells without a single successful trial, a run that did not complete.
 * A path a topology cannot carry by design ("not applicable, because …") is not missing.
 */
import { measuredTrials } from './cell.js';
import type { Results } from './types.js';

export function missingFromRun(r: Results): string[] {
  const out: string[] = [];
  if (r.status !== 'complete') out.push(`the run is ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}`);
  const skipped = new Set<string>();
  for (const na of r.notApplicable) {
    if (!na.reason.startsWith('not measured')) continue;
    if (!skipped.has(na.topology)) out.push(`${na.topology} was not measured: it could not be built or is broken (see caveats)`);
    skipped.add(na.topology);
  }
  const notApplicable = new Set(r.notApplicable.map((n) => `${n.topology} ${n.path}`));
  for (const topology of r.config.topologies) {
    if (skipped.has(topology)) continue;
    for (const path of r.config.paths) {
      if (notApplicable.has(`${topology} ${path}`)) continue;
      for (const workload of r.config.workloads) {
        const cell = { topology, workload, path };
        const tried = r.trials.filter((t) => !t.warmup && !t.traced && t.topology === topology && t.workload === workload && t.path === path);
        if (measuredTrials(r.trials, cell).length > 0) continue;
        const busy = tried.filter((t) => t.status === 'ok' && t.contaminated !== undefined).length;
        const failed = tried.filter((t) => t.status === 'failed').length;
        const why = [failed ? `${failed} failed` : '', busy ? `${busy} taken while the machine was busy` : ''].filter(Boolean).join(', ');
        out.push(`${topology} ${workload} ${path}: no successful trial${why ? ` (${why})` : ''}`);
      }
    }
  }
  return out;
}
