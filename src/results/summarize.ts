/** Build the per-topology/workload/path/metric summary from trial records. Pure. */
import { medianCI, pairedRatios, summarize } from '../stats/summary.js';
import { workload } from '../workloads/registry.js';
import { byCell, cellKey, measuredValues, nearestPairs } from './cell.js';
import type { MetricSummary, RatioToHost, TrialRecord } from './types.js';

const finite = (x: number) => (Number.isFinite(x) ? x : null);

function ratioToHost(pairs: { a: ReadonlyMap<number, number>; b: ReadonlyMap<number, number> }): RatioToHost | null {
  const rs = pairedRatios(pairs.a, pairs.b);
  if (rs.length === 0) return null;
  const ci = medianCI(rs);
  return { median: summarize(rs).median, ciLow: ci.low, ciHigh: ci.high, ciLevel: ci.level, n: rs.length };
}

export function summarizeTrials(trials: readonly TrialRecord[], baseline = 'host'): MetricSummary[] {
  // warm-ups are never figures; traced trials only measure the stack and the overhead
  const cells = byCell(trials.filter((t) => !t.warmup && !t.traced));
  const out: MetricSummary[] = [];
  for (const ts of cells.values()) {
    const cell = { topology: ts[0]!.topology, workload: ts[0]!.workload, path: ts[0]!.path };
    const host = { ...cell, topology: baseline };
    const hasHost = cell.topology !== baseline && cells.has(cellKey(host));
    for (const def of workload(cell.workload).metrics) {
      const s = summarize(measuredValues(trials, cell, def.name));
      out.push({
        ...cell,
        metric: def.name,
        unit: def.unit,
        better: def.better,
        n: s.n,
        failed: ts.filter((t) => t.status === 'failed').length,
        median: finite(s.median),
        ciLow: finite(s.ci.low),
        ciHigh: finite(s.ci.high),
        ciLevel: s.ci.level,
        cov: finite(s.cov),
        ratioToHost: hasHost ? ratioToHost(nearestPairs(trials, cell, host, def.name)) : null,
      });
    }
  }
  return out;
}
