/**
 * The cost of observing: per cell, each block's traced trial set against the same
 * block's untraced trial on the workload's primary metric. The ratio is expressed as
 * performance (traced / untraced for a rate, untraced / traced for a time), so 0.93 means
 * tracing made the cell 7% slower. From 6 pairs its estimate is the Hodges–Lehmann
 * location of the per-block log ratios with the Wilcoxon signed-rank interval (one
 * glitching pair moves it by a rank, not by its size: on the reference machine's 20-block
 * runs it was about half as wide as the t interval); with 2 to 5, a Student t interval on
 * their mean. The number of pairs is fixed before the run (the profile's traced blocks),
 * so a fixed-n interval is valid. The per-packet figures of a cell count as
 * measurements when that interval lies within ±5% of 1: tracing is then shown to
 * change the traffic by less than the margin the verdicts use.
 *
 * The traffic is a noisy instrument for an effect of a few percent: a quick run's one
 * traced pair gives no interval at all. The compiled observer also measures its own time
 * in the kernel (trace/observer.ts): every event at its run time and its dispatch, as a
 * share of the traced trials' traffic time. Were all of it on the traffic's critical
 * path, the traffic would be that much slower, so it bounds the slowdown the observer
 * can cause by its own work. When the traffic leaves the effect unresolved and that
 * share is within the margin, the cell's figures count as measurements too ("bounded").
 * What the share does not count (caches and branch predictors the programs disturb) is
 * what the traffic comparison is for: a cell whose traffic shows a slowdown beyond the
 * margin stays an upper bound whatever the kernel says. See docs/methodology.md.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { blockValues, type Cell, tracedTrials } from './cell.js';
import type { Overhead, TrialRecord } from './types.js';
import { hodgesLehmann, median } from '../stats/summary.js';
import { studentT975 } from '../stats/student.js';
import { workload } from '../workloads/registry.js';
import { fmtPct } from '../util/format.js';

export const OVERHEAD_MARGIN = 0.05;

/** Traced against untraced trials of one cell, paired by block; null when the cell has no traced trial. */
export function overheadOf(trials: readonly TrialRecord[], cell: Cell, margin = OVERHEAD_MARGIN, observerShare: number | null = null): Overhead | null {
  const def = workload(cell.workload);
  const metric = def.primary;
  const better = def.metrics.find((m) => m.name === metric)?.better ?? 'higher';
  const traced = new Map<number, number>();
  for (const t of tracedTrials(trials, cell)) {
    // a traced trial taken while the machine was busy says nothing about tracing
    if (t.contaminated !== undefined) continue;
    const v = t.metrics[metric]?.value;
    if (v !== undefined && Number.isFinite(v) && v > 0) traced.set(t.block, v);
  }
  if (traced.size === 0) return null;
  const untraced = blockValues(trials, cell, metric);
  const logs: number[] = [];
  for (const [block, tv] of traced) {
    const uv = untraced.get(block);
    if (uv !== undefined && uv > 0) logs.push(better === 'higher' ? Math.log(tv / uv) : Math.log(uv / tv));
  }
  const tm = median([...traced.values()]);
  const um = untraced.size ? median([...untraced.values()]) : NaN;
  const n = logs.length;
  // from 6 pairs, the Hodges–Lehmann estimate with the Wilcoxon signed-rank interval (one glitching pair moves it by a rank, not by its size); below, the t interval on the mean
  const hl = hodgesLehmann(logs);
  let center = n ? mean(logs) : better === 'higher' ? Math.log(tm / um) : Math.log(um / tm);
  let low: number | null = null;
  let high: number | null = null;
  if (hl) {
    center = hl.center;
    low = Math.exp(hl.low);
    high = Math.exp(hl.high);
  } else if (n >= 2) {
    const half = studentT975(n - 1) * (sampleStandardDeviation(logs) / Math.sqrt(n));
    low = Math.exp(center - half);
    high = Math.exp(center + half);
  }
  const ratio = Math.exp(center);
  const kind = overheadKind(low, high, margin);
  return {
    ...cell,
    metric,
    pairs: n,
    tracedMedian: tm,
    untracedMedian: Number.isFinite(um) ? um : null,
    ratio: Number.isFinite(ratio) ? ratio : null,
    ratioLow: low,
    ratioHigh: high,
    level: hl ? hl.level : 0.95,
    ...(observerShare !== null && Number.isFinite(observerShare) ? { observerShare } : {}),
    kind: kind === 'unresolved' && observerShare !== null && observerShare <= margin ? 'bounded' : kind,
  };
}

/**
 * "within": the interval lies inside 1 ± margin (the per-packet figures are measurements);
 * "slower"/"faster": it excludes 1 (tracing changed the traffic); "unresolved": neither.
 */
export function overheadKind(low: number | null, high: number | null, margin = OVERHEAD_MARGIN): Overhead['kind'] {
  if (low === null || high === null) return 'unresolved';
  if (low >= 1 - margin && high <= 1 + margin) return 'within';
  if (high < 1) return 'slower';
  if (low > 1) return 'faster';
  return 'unresolved';
}

/** Whether a cell's per-packet figures count as measurements: shown by the traffic, or bounded by the observer's own time. */
export function isMeasured(o: Pick<Overhead, 'kind'> | null | undefined): boolean {
  return o?.kind === 'within' || o?.kind === 'bounded';
}

const FINDING: Readonly<Record<Overhead['kind'], [string, string]>> = {
  within: [`tracing changed the traffic by less than ${OVERHEAD_MARGIN * 100}%`, 'per-packet figures are measurements'],
  bounded: ["the observer's own time, measured in the kernel, bounds its effect", 'per-packet figures are measurements'],
  slower: ['tracing slowed the traffic', 'per-packet figures are upper bounds'],
  faster: ['traced trials were faster', 'per-packet figures are not representative'],
  unresolved: ["tracing's effect is not resolved", 'per-packet figures are upper bounds'],
};

/** What a cell's overhead means for its per-packet figures, in words; `withInterval` adds the interval and pair count. */
export function overheadMeaning(o: Overhead | null, withInterval = true): string {
  if (!o) return 'no traced trial: overhead unknown, per-packet figures are upper bounds';
  const [finding, consequence] = FINDING[o.kind];
  const iv = !withInterval ? '' : o.ratioLow !== null && o.ratioHigh !== null ? ` (95% interval ${o.ratioLow.toFixed(3)}–${o.ratioHigh.toFixed(3)}, ${o.pairs} pairs)` : ` (${o.pairs} pair${o.pairs === 1 ? '' : 's'}: no interval)`;
  if (o.kind === 'bounded' && o.observerShare != null) {
    // the kernel's bound first; then what the traffic said, which did not resolve the effect
    const traffic = o.ratio !== null ? `; the traffic, traced/untraced ${o.ratio.toFixed(3)}${iv}, did not resolve it` : '';
    return `the observer's own time, measured in the kernel, is ${fmtPct(o.observerShare)} of the traffic's (at most that much slower)${withInterval ? traffic : ''}: ${consequence}`;
  }
  return `${finding}${iv}: ${consequence}`;
}
