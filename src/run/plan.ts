/**
 * Step 2 of a run: which cells to measure (every applicable topology × workload × path
 * of the measurable topologies), and a planner that says which trial comes next. The
 * fixed planner walks a seeded interleaved schedule; an adaptive planner can replace it
 * behind the same interface without touching the build, measure or teardown steps.
 */
import type { Cell, NotApplicable, TrialRecord } from '../results/types.js';
import { cellKey } from '../results/cell.js';
import { levelShifts } from '../results/shift.js';
import { seededRng } from '../stats/rng.js';
import { routeApplicability } from '../topology/routes.js';
import type { BusyPolicy, Pairing, RunConfig } from './config.js';
import { buildSchedule, type CellPair, type ScheduledTrial } from './schedule.js';

export interface CellPlan {
  readonly cells: readonly Cell[];
  readonly notApplicable: readonly NotApplicable[];
}

/** The cells to measure, and for every other (topology, path) not in `known` the reason it is not. */
export function planCells(cfg: Pick<RunConfig, 'topologies' | 'workloads' | 'paths'>, measurable: ReadonlySet<string>, known: readonly NotApplicable[] = []): CellPlan {
  const cells: Cell[] = [];
  const notApplicable: NotApplicable[] = [];
  for (const spec of cfg.topologies) {
    for (const path of cfg.paths) {
      const a = routeApplicability(spec, path);
      // paths the build step found unreachable on this hardware are recorded already
      if (known.some((n) => n.topology === spec.name && n.path === path)) continue;
      if (!a.ok) notApplicable.push({ topology: spec.name, path, reason: a.reason });
      else if (!measurable.has(spec.name)) notApplicable.push({ topology: spec.name, path, reason: `not measured, because ${spec.name} could not be built or is broken (see caveats)` });
      else for (const workload of cfg.workloads) cells.push({ topology: spec.name, workload, path });
    }
  }
  return { cells, notApplicable };
}

/** re-runs of a trial taken while the machine was busy, in its block */
export const MAX_RERUNS = 2;

/**
 * The re-run rule both planners share: a measured trial taken while the machine was busy
 * is taken again in its block, at most `max` times. Returns whether `t` is to be re-run.
 */
export function rerunRule(max = MAX_RERUNS): (t: TrialRecord) => boolean {
  const counts = new Map<string, number>();
  return (t) => {
    if (t.status !== 'ok' || t.contaminated === undefined || t.warmup || t.traced) return false;
    const key = `${cellKey(t)} ${t.block}`;
    const n = counts.get(key) ?? 0;
    if (n >= max) return false;
    counts.set(key, n + 1);
    return true;
  };
}

/**
 * The level-shift rule both planners share (results/shift.ts): once a lane's plain block
 * has run, that is when `t` is its last trial still to come, its trials that spanned a
 * change of the machine's level are returned, index to reason, for the planner to mark and
 * re-run in the block. Each lane's block is checked once, so the re-runs are kept as they
 * come; tracing blocks are not checked (their lanes run spread over the block).
 */
export function shiftRule(): (trials: readonly TrialRecord[], t: TrialRecord, laneClosed: boolean, tracingBlock: boolean) => Map<number, string> {
  const checked = new Set<string>();
  return (trials, t, laneClosed, tracingBlock) => {
    const key = `${t.workload} ${t.path} ${t.block}`;
    if (t.warmup || t.traced || tracingBlock || !laneClosed || checked.has(key)) return new Map();
    checked.add(key);
    return levelShifts(trials, t);
  };
}

/** The trials with `marks` set as shifted (results/shift.ts), in place; returns them as they were. */
export function markShifted(trials: TrialRecord[], marks: ReadonlyMap<number, string>): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (const [i, t] of trials.entries()) {
    const why = marks.get(t.index);
    if (why === undefined || t.status !== 'ok') continue;
    trials[i] = { ...t, shifted: why };
    out.push(t);
  }
  return out;
}

/**
 * Both planners' account of a finished trial: it joins `trials`; a trial taken while the
 * machine was busy is taken again (rerunRule); and once its lane's block has run
 * (`laneClosed`: none of it still to come, and no re-run of this one), the trials of the
 * block that spanned a level shift are marked in `trials` and taken again (shiftRule).
 * Returns the cells to take next, in order, and the marks.
 */
export function trialTaker(maxReruns = MAX_RERUNS, levelShifts = true): (trials: TrialRecord[], t: TrialRecord, laneClosed: boolean, tracingBlock: boolean) => { again: TrialRecord[]; marks: Map<number, string> } {
  const busy = rerunRule(maxReruns);
  const shifts = shiftRule();
  return (trials, t, laneClosed, tracingBlock) => {
    trials.push(t);
    const again = busy(t) ? [t] : [];
    const marks = levelShifts ? shifts(trials, t, laneClosed && again.length === 0, tracingBlock) : new Map<number, string>();
    return { again: [...again, ...markShifted(trials, marks)], marks };
  };
}

export interface Planner {
  /** the next trial to run, or undefined when the plan is done */
  next(): ScheduledTrial | undefined;
  /**
   * every finished trial is reported back (an adaptive planner decides from them); returns
   * the trials of its lane's block found to span a level shift (index to reason), which the
   * planner re-runs and the run's record marks
   */
  record(trial: TrialRecord): ReadonlyMap<number, string> | void;
  /** trials done and trials planned in all, for progress */
  readonly progress: { readonly done: number; readonly total: number };
  /** an adaptive plan's own account: the time left, what is undecided, and why it stopped */
  outlook?(): { readonly etaS: number; readonly note: string; readonly stopped: string | null };
}

/** Warm-ups, then `trials` blocks of every cell in a seeded random order. */
export function fixedPlanner(cells: readonly Cell[], cfg: Pick<RunConfig, 'trials' | 'warmup' | 'seed'> & { readonly byTopology?: boolean; readonly pairs?: readonly CellPair[]; readonly pairing?: Pairing; readonly levelShifts?: BusyPolicy }, tracedBlocks: number): Planner {
  // 'block', or no pairs: each cell once, shuffled
  const pairs = cfg.pairing === 'block' ? undefined : cfg.pairs;
  const schedule = buildSchedule(cells, cfg.trials, cfg.warmup, seededRng(cfg.seed), tracedBlocks, cfg.byTopology ?? false, pairs, cfg.pairing === 'adjacent' ? 'adjacent' : 'chain');
  let at = 0;
  const take = trialTaker(MAX_RERUNS, cfg.levelShifts !== 'keep');
  const trials: TrialRecord[] = [];
  return {
    next: () => schedule[at++],
    // a measured trial taken while the machine was busy is taken again next, at most twice;
    // so are the trials of a lane's block that spanned a level shift, once the lane has run
    record: (t) => {
      const later = schedule.slice(at);
      const { again, marks } = take(trials, t, !later.some((s) => s.block === t.block && s.workload === t.workload && s.path === t.path && !s.traced), schedule.some((s) => s.block === t.block && s.traced));
      for (const a of [...again].reverse()) schedule.splice(at, 0, { topology: a.topology, workload: a.workload, path: a.path, index: schedule.length, block: a.block, warmup: false, traced: false });
      return marks;
    },
    get progress() {
      return { done: Math.min(at, schedule.length), total: schedule.length };
    },
  };
}
