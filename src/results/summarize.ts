/** Build the per-topology/workload/path/metric summary from trial records. Pure. */
import { medianCI, pairedRatios, summarize } from '../stats/summary.js';
import { WORKLOADS, type WorkloadName } from '../workloads/registry.js';
import type { MetricSummary, TrialRecord } from './types.js';

const finite = (x: number) => (Number.isFinite(x) ? x : null);

export function summarizeTrials(trials: readonly TrialRecord[], baseline = 'host'): MetricSummary[] {
  // the figures are the untraced trials; traced ones only measure the stack and the overhead
  const measured = trials.filter((t) => !t.warmup && !t.traced);
  const groups = new Map<string, TrialRecord[]>();
  for (const t of measured) {
    const k = `${t.topology}\u0000${t.workload}\u0000${t.path}`;
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  const byBlock = (ts: readonly TrialRecord[], metric: string) => {
    const m = new Map<number, number>();
    for (const t of ts) {
      const v = t.metrics[metric]?.value;
      if (t.status === 'ok' && v !== undefined && Number.isFinite(v)) m.set(t.block, v);
    }
    return m;
  };
  const out: MetricSummary[] = [];
  for (const [k, ts] of groups) {
    const [topology, workload, path] = k.split('\u0000') as [string, string, string];
    const wl = WORKLOADS[workload as WorkloadName];
    if (!wl) continue;
    const hostTrials = groups.get(`${baseline}\u0000${workload}\u0000${path}`);
    for (const def of wl.metrics) {
      const values = byBlock(ts, def.name);
      const xs = [...values.values()];
      const s = summarize(xs);
      let ratio: MetricSummary['ratioToHost'] = null;
      if (hostTrials && topology !== baseline) {
        const rs = pairedRatios(values, byBlock(hostTrials, def.name));
        if (rs.length > 0) {
          const ci = medianCI(rs);
          ratio = { median: summarize(rs).median, ciLow: ci.low, ciHigh: ci.high, ciLevel: ci.level, n: rs.length };
        }
      }
      out.push({
        topology,
        workload,
        path,
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
        ratioToHost: ratio,
      });
    }
  }
  return out;
}
