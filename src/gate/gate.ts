/**
 * bench gate: compare a current run with a baseline, metric by metric. By default each
 * trial is taken as a ratio to host in its own block (host runs in both), so a baseline
 * from another day still compares; --absolute compares raw figures.
 */
import { EXIT } from '../errors.js';
import { measuredValues, nearestPairs } from '../results/cell.js';
import type { Cell, Results, RunSettings } from '../results/types.js';
import { workload as workloadDef } from '../workloads/registry.js';
import { type GateConfig, thresholdFor } from './config.js';
import { decide, type MetricDecision } from './decide.js';
import { currentRunProblems, type GateProblem } from './integrity.js';
import { idleDifference } from '../results/idle.js';

export { DEFAULT_GATE_CONFIG, type GateConfig, loadGateConfig, thresholdFor } from './config.js';

/** Differences between two runs' environments that make a comparison meaningless. */
export function incompatibilities(a: Results, b: Results, mode: 'relative' | 'absolute'): string[] {
  const out: string[] = [];
  const ta = [...a.config.topologies].sort().join(',');
  const tb = [...b.config.topologies].sort().join(',');
  if (ta !== tb) out.push(`topology sets differ (baseline: ${ta}; current: ${tb})`);
  if (a.environment.kernel !== b.environment.kernel) out.push(`kernels differ (${a.environment.kernel} vs ${b.environment.kernel})`);
  if (a.environment.cpuCount !== b.environment.cpuCount) out.push(`CPU counts differ (${a.environment.cpuCount} vs ${b.environment.cpuCount})`);
  const idle = idleDifference(a.environment.idle, b.environment.idle);
  if (idle) out.push(idle);
  for (const t of a.environment.topologies) {
    const u = b.environment.topologies.find((x) => x.name === t.name);
    if (u && t.datapath !== u.datapath) out.push(`${t.name} ran on different OVS datapaths (${t.datapath} vs ${u.datapath})`);
  }
  if (mode === 'relative' && (!a.config.topologies.includes('host') || !b.config.topologies.includes('host'))) out.push('relative comparison needs host in both runs (or use --absolute)');
  if (a.config.durationS !== b.config.durationS) out.push(`trial durations differ (${a.config.durationS}s vs ${b.config.durationS}s)`);
  return out;
}

/** One number per measured trial: the raw figure, or its ratio to host in the same block. */
export function gateSamples(r: Pick<Results, 'trials'>, cell: Cell, metric: string, mode: 'relative' | 'absolute'): number[] {
  if (mode === 'absolute') return measuredValues(r.trials, cell, metric);
  // each trial's ratio to the host trial nearest it in its block
  const pairs = nearestPairs(r.trials, cell, { ...cell, topology: 'host' }, metric);
  const out: number[] = [];
  for (const [block, v] of pairs.a) {
    const h = pairs.b.get(block);
    if (h !== undefined && h > 0) out.push(v / h);
  }
  return out;
}

export interface GateRow extends MetricDecision, Cell {
  /** p after Holm-Bonferroni over every metric of this gate run */
  readonly pAdjusted: number;
  readonly metric: string;
  readonly unit: string;
}

export interface GateReport {
  readonly mode: 'relative' | 'absolute';
  readonly rows: readonly GateRow[];
  /** why the current run cannot pass, whatever its figures (see integrity.ts) */
  readonly problems: readonly GateProblem[];
  /** environment differences compared despite (--force) */
  readonly warnings: readonly string[];
  /** `gate --run`: the looks the gate took while the current run measured, and the level each test was held to */
  readonly sequence?: { readonly looks: readonly number[]; readonly alphaPerLook: number; readonly blocks: number; readonly stopped: string | null };
}

export function runGate(baseline: Results, current: Results, cfg: GateConfig, mode: 'relative' | 'absolute', warnings: readonly string[] = []): GateReport {
  return { mode, rows: gateRows(baseline, current, cfg, mode), problems: currentRunProblems(baseline, current, cfg.ignore), warnings };
}

/** What the gate reads of the current run: what it measures, and its trials so far. */
export interface CurrentTrials {
  readonly config: Pick<RunSettings, 'topologies' | 'workloads' | 'paths'>;
  readonly trials: Results['trials'];
}

/** Every gated metric of the cells both runs measure, judged and corrected together (Holm). `current` may be a run still measuring. */
export function gateRows(baseline: Results, current: CurrentTrials, cfg: GateConfig, mode: 'relative' | 'absolute'): GateRow[] {
  const rows: GateRow[] = [];
  const workloads = current.config.workloads.filter((w) => baseline.config.workloads.includes(w));
  const paths = current.config.paths.filter((p) => baseline.config.paths.includes(p));
  const topologies = current.config.topologies.filter((t) => baseline.config.topologies.includes(t) && !(mode === 'relative' && t === 'host'));
  for (const workload of workloads) {
    for (const def of workloadDef(workload).metrics) {
      if (cfg.ignore.includes(def.name)) continue;
      for (const path of paths) {
        for (const topology of topologies) {
          const cell = { topology, workload, path };
          const a = gateSamples(baseline, cell, def.name, mode);
          const b = gateSamples(current, cell, def.name, mode);
          if (a.length === 0 && b.length === 0) continue;
          const d = decide(a, b, def.better, thresholdFor(cfg, workload, def.name), cfg.alpha, cfg.estimator);
          rows.push({ topology, workload, path, metric: def.name, unit: mode === 'relative' ? `× host (${def.unit})` : def.unit, ...d, pAdjusted: d.p });
        }
      }
    }
  }
  return holm(rows, cfg.alpha);
}

/**
 * One gate run tests many metrics at once; Holm-Bonferroni keeps the chance of any false
 * alarm in an A/A comparison at alpha. A change that is significant alone but not after
 * the correction is not called a regression (or improvement).
 */
export function holm(rows: readonly GateRow[], alpha: number): GateRow[] {
  const m = rows.length;
  const order = rows.map((r, i) => ({ p: r.p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    adjusted[i] = running;
  });
  return rows.map((r, i) => {
    const pAdjusted = adjusted[i]!;
    if ((r.verdict === 'regression' || r.verdict === 'improvement') && pAdjusted >= alpha) {
      const undecided = r.changeLow < -r.threshold;
      const suspect = undecided && r.change < -r.threshold;
      return { ...r, pAdjusted, verdict: undecided ? 'undecided' : 'ok', suspect, reason: `${suspect ? 'SUSPECT: ' : ''}${r.reason}, but p=${pAdjusted.toPrecision(2)} after correcting for ${m} metrics: not significant` };
    }
    return { ...r, pAdjusted };
  });
}

/**
 * 4: the current run is broken or incomplete; 1: a regression; 3: a suspect metric (its
 * estimate past the threshold, not yet significant) unless lenient, or anything undecided
 * with strict; 0: none of these.
 */
export function gateExitCode(report: GateReport, strict: boolean, lenient = false): number {
  if (report.problems.length > 0) return EXIT.incomplete;
  if (report.rows.some((r) => r.verdict === 'regression')) return EXIT.failure;
  if (strict && report.rows.some((r) => r.verdict === 'undecided')) return EXIT.undecided;
  if (!lenient && report.rows.some((r) => r.suspect)) return EXIT.undecided;
  return EXIT.ok;
}
