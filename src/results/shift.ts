/**
 * Level shifts inside a lane's block. On a virtual machine the speed jumps between levels
 * every few seconds (docs/methodology.md, "Trial design"): a pair whose two trials fall on
 * either side of a jump carries the jump in its ratio, and one such pair in ten widens a
 * comparison's interval more than the other nine narrow it. Once a lane (one workload and
 * path) has run its trials of a block, its trials are read as a series of residuals, each
 * trial's primary figure against its own cell's median in the blocks before, so that the
 * differences between topologies drop out and what is left is the machine's level. A
 * trial far from both its neighbours (a glitch), and the trials before a step of the
 * level, are marked as spanning a level shift: left out, and re-run in the block, at the
 * level the machine is at now. The residuals never look at which topology is faster, so
 * the marks are blind to the comparisons they protect.
 */
import { median } from '../stats/summary.js';
import { workload } from '../workloads/registry.js';
import { isMeasured, sameCell } from './cell.js';
import type { OkTrial, TrialRecord } from './types.js';

/** A jump is this many times the lane's trial-to-trial noise. */
export const SHIFT_K = 3;
/** The blocks a cell needs before its residual means anything (its median is taken over them). */
export const SHIFT_HISTORY = 2;
/** The trial-to-trial differences a lane needs before its noise is known. */
export const SHIFT_NOISE_N = 6;

/** How a trial's `shifted` reason begins. */
export const SHIFT_REASON = 'the machine changed level during the block';

const lane = (t: { workload: string; path: string }) => `${t.workload} ${t.path}`;
const primaryLog = (t: OkTrial): number | undefined => {
  const v = t.metrics[workload(t.workload).primary]?.value;
  return v !== undefined && Number.isFinite(v) && v > 0 ? Math.log(v) : undefined;
};

/** The plain measured trials of one lane's block, in the order they ran (the order of `trials`). */
function laneBlock(trials: readonly TrialRecord[], of: { workload: string; path: string; block: number }): OkTrial[] {
  return trials.filter((t): t is OkTrial => isMeasured(t) && t.block === of.block && lane(t) === lane(of));
}

/** Each trial's log figure against its cell's median in earlier blocks (undefined without SHIFT_HISTORY of them). */
function residuals(trials: readonly TrialRecord[], series: readonly OkTrial[]): (number | undefined)[] {
  return series.map((t) => {
    const x = primaryLog(t);
    const before = trials.flatMap((u) => (isMeasured(u) && u.block < t.block && sameCell(u, t) ? [primaryLog(u)] : [])).filter((v): v is number => v !== undefined);
    return x === undefined || before.length < SHIFT_HISTORY ? undefined : x - median(before);
  });
}

/**
 * The lane's trial-to-trial noise: the robust spread (1.4826 × the median absolute value)
 * of the differences between neighbouring residuals in its blocks so far, this one
 * included (a step or a glitch moves a few differences, not their median), over √2;
 * undefined before SHIFT_NOISE_N such differences.
 */
export function laneNoise(trials: readonly TrialRecord[], of: { workload: string; path: string; block: number }): number | undefined {
  const diffs: number[] = [];
  const blocks = new Set(trials.filter((t) => isMeasured(t) && lane(t) === lane(of) && t.block <= of.block).map((t) => t.block));
  for (const b of blocks) {
    const r = residuals(trials, laneBlock(trials, { ...of, block: b }));
    for (let i = 1; i < r.length; i++) if (r[i] !== undefined && r[i - 1] !== undefined) diffs.push(Math.abs(r[i]! - r[i - 1]!));
  }
  return diffs.length < SHIFT_NOISE_N ? undefined : (1.4826 * median(diffs)) / Math.SQRT2;
}

/**
 * The trials of a lane's block that span a level shift, by index, with the reason:
 * - a glitch: a trial more than K × noise from both neighbours, which agree with each other
 *   within half that;
 * - a step: the split of the rest into an earlier and a later run, each of two trials or
 *   more, that do not overlap and whose means differ by more than K × noise and by more
 *   than K standard errors of that difference (the largest such); the earlier run is marked (the machine is at the later level now, where the re-runs go).
 * Nothing is marked before the lane's noise and the cells' medians are known.
 */
export function levelShifts(trials: readonly TrialRecord[], of: { workload: string; path: string; block: number }, k = SHIFT_K): Map<number, string> {
  const out = new Map<number, string>();
  const noise = laneNoise(trials, of);
  if (noise === undefined || noise <= 0) return out;
  const all = laneBlock(trials, of);
  const r0 = residuals(trials, all);
  const series = all.filter((_, i) => r0[i] !== undefined);
  const r = r0.filter((x): x is number => x !== undefined);
  if (r.length < 3) return out;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * (Math.exp(x) - 1)).toFixed(0)}%`;
  const glitch = new Set<number>();
  for (let i = 1; i + 1 < r.length; i++) {
    const [prev, x, next] = [r[i - 1]!, r[i]!, r[i + 1]!];
    if (Math.abs(x - prev) > k * noise && Math.abs(x - next) > k * noise && Math.abs(prev - next) < (k * noise) / 2) {
      glitch.add(i);
      out.set(series[i]!.index, `${SHIFT_REASON}: ${pct(x - (prev + next) / 2)} against the trials either side (noise ${(100 * noise).toFixed(0)}%): re-run`);
    }
  }
  const rest = r.flatMap((x, i) => (glitch.has(i) ? [] : [{ x, t: series[i]! }]));
  let best: { at: number; z: number; d: number } | undefined;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (let at = 1; at < rest.length; at++) {
    const before = rest.slice(0, at).map((p) => p.x);
    const after = rest.slice(at).map((p) => p.x);
    const d = mean(after) - mean(before);
    // a step, not noise: the two runs do not overlap
    const apart = d > 0 ? Math.min(...after) > Math.max(...before) : Math.max(...after) < Math.min(...before);
    const z = Math.abs(d) / (noise * Math.sqrt(1 / before.length + 1 / after.length));
    if (apart && Math.abs(d) > k * noise && z > k && (!best || z > best.z)) best = { at, z, d };
  }
  if (!best) return out;
  // the last trial alone off is a glitch or a step at the very end (no later neighbour tells which): re-run that one
  const off = best.at === rest.length - 1 ? rest.slice(best.at) : rest.slice(0, best.at);
  const how = best.at === rest.length - 1 ? `${pct(best.d)} against the trials before it` : `the lane's level moved ${pct(best.d)} after this trial`;
  for (const p of off) out.set(p.t.index, `${SHIFT_REASON}: ${how} (noise ${(100 * noise).toFixed(0)}%): re-run`);
  return out;
}

/**
 * The run's account of level shifts: how many trials spanned one (left out and re-run in
 * their block), by topology, most first; null when none did.
 */
export function shiftSummary(trials: readonly TrialRecord[]): string | null {
  const shifted = trials.filter((t) => t.status === 'ok' && t.shifted !== undefined);
  if (shifted.length === 0) return null;
  const by = new Map<string, number>();
  for (const t of shifted) by.set(t.topology, (by.get(t.topology) ?? 0) + 1);
  const list = [...by].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t, n]) => `${t} ${n}`);
  const plain = trials.filter((t) => !t.warmup && !t.traced && t.status === 'ok').length;
  return `${shifted.length} of ${plain} trials spanned a change of the machine's level within their lane's block: left out of the statistics and re-run in the block (${list.join(', ')}; docs/methodology.md, "Trial design")`;
}
