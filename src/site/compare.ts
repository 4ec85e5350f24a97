/**
 * The gate between two published runs, as `bench gate` computes it (ratios to host
 * when both ran host, absolute figures otherwise; the gate's thresholds), kept in a
 * compact form for the site's comparison page. Computed when a run is published, for
 * every run already there: the page only looks the pair up, it computes nothing.
 */
import { type GateConfig, type GateReport, incompatibilities, runGate } from '../gate/gate.js';
import { gateSummaryLine } from '../gate/render.js';
import type { Results } from '../results/types.js';

/** One metric's row: cell, metric, unit, baseline, current, change [low, high], Holm p, verdict, why. */
export type CompareRow = readonly [string, string, string, number | null, number | null, number | null, number | null, number | null, number | null, string, string];

export interface Comparison {
  readonly baseline: string;
  readonly current: string;
  readonly mode: 'relative' | 'absolute';
  readonly summary: string;
  readonly problems: readonly string[];
  /** environment differences: the gate refuses such a pair unless forced; the site shows it with these */
  readonly warnings: readonly string[];
  readonly rows: readonly CompareRow[];
}

const num = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(4)) : null);
const RANK: Record<string, number> = { regression: 0, undecided: 1, improvement: 2, ok: 3 };

export function compareRuns(baseline: Results, current: Results, cfg: GateConfig): { comparison: Comparison; report: GateReport } {
  const mode = baseline.config.topologies.includes('host') && current.config.topologies.includes('host') ? 'relative' : 'absolute';
  const report = runGate(baseline, current, cfg, mode, incompatibilities(baseline, current, mode));
  const rows = [...report.rows]
    .sort((a, b) => RANK[a.verdict]! - RANK[b.verdict]! || a.workload.localeCompare(b.workload) || a.topology.localeCompare(b.topology) || a.path.localeCompare(b.path))
    .map((r): CompareRow => [`${r.topology} ${r.workload} ${r.path}`, r.metric, r.unit, num(r.baselineMedian), num(r.currentMedian), num(r.change), num(r.changeLow), num(r.changeHigh), num(r.pAdjusted), r.verdict, r.reason]);
  return {
    comparison: { baseline: baseline.runId, current: current.runId, mode, summary: gateSummaryLine(report), problems: report.problems.map((p) => p.message), warnings: report.warnings, rows },
    report,
  };
}
