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
  /** how the two runs were set up differently (topologies, workloads, paths, trial length): then no metric-by-metric verdict means much */
  readonly design: readonly string[];
  readonly rows: readonly CompareRow[];
}

const num = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(4)) : null);
const RANK: Record<string, number> = { regression: 0, undecided: 1, improvement: 2, ok: 3 };

/** Differences in what two runs set out to measure. */
export function designDifferences(a: Results, b: Results): string[] {
  const same = (x: readonly string[], y: readonly string[]) => [...x].sort().join(',') === [...y].sort().join(',');
  const out: string[] = [];
  if (!same(a.config.topologies, b.config.topologies)) out.push(`topologies ${a.config.topologies.join(',')} vs ${b.config.topologies.join(',')}`);
  if (!same(a.config.workloads, b.config.workloads)) out.push(`workloads ${a.config.workloads.join(',')} vs ${b.config.workloads.join(',')}`);
  if (!same(a.config.paths, b.config.paths)) out.push(`paths ${a.config.paths.join(',')} vs ${b.config.paths.join(',')}`);
  if (a.config.durationS !== b.config.durationS) out.push(`trials of ${a.config.durationS}s vs ${b.config.durationS}s`);
  return out;
}

export function compareRuns(baseline: Results, current: Results, cfg: GateConfig): { comparison: Comparison; report: GateReport } {
  const mode = baseline.config.topologies.includes('host') && current.config.topologies.includes('host') ? 'relative' : 'absolute';
  const report = runGate(baseline, current, cfg, mode, incompatibilities(baseline, current, mode));
  const rows = [...report.rows]
    .sort((a, b) => RANK[a.verdict]! - RANK[b.verdict]! || a.workload.localeCompare(b.workload) || a.topology.localeCompare(b.topology) || a.path.localeCompare(b.path))
    .map((r): CompareRow => [`${r.topology} ${r.workload} ${r.path}`, r.metric, r.unit, num(r.baselineMedian), num(r.currentMedian), num(r.change), num(r.changeLow), num(r.changeHigh), num(r.pAdjusted), r.verdict, r.reason]);
  return {
    comparison: { baseline: baseline.runId, current: current.runId, mode, summary: gateSummaryLine(report), design: designDifferences(baseline, current), problems: report.problems.map((p) => p.message), warnings: report.warnings, rows },
    report,
  };
}
