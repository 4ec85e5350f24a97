/**
 * Step 2 of a run: which cells to measure (every applicable topology × workload × path
 * of the measurable topologies), and a planner that says which trial comes next. The
 * fixed planner walks a seeded interleaved schedule; an adaptive planner can replace it
 * behind the same interface without touching the build, measure or teardown steps.
 */
import type { Cell, NotApplicable, TrialRecord } from '../results/types.js';
import { cellKey } from '../results/cell.js';
import { seededRng } from '../stats/rng.js';
import { routeApplicability } from '../topology/routes.js';
import type { Pairing, RunConfig } from './config.js';
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

export interface Planner {
  /** the next trial to run, or undefined when the plan is done */
  next(): ScheduledTrial | undefined;
  /** every finished trial is reported back (an adaptive planner decides from them) */
  record(trial: TrialRecord): void;
  /** trials done and trials planned in all, for progress */
  readonly progress: { readonly done: number; readonly total: number };
  /** an adaptive plan's own account: the time left, what is undecided, and why it stopped */
  outlook?(): { readonly etaS: number; readonly note: string; readonly stopped: string | null };
}

/** Warm-ups, then `trials` blocks of every cell in a seeded random order. */
export function fixedPlanner(cells: readonly Cell[], cfg: Pick<RunConfig, 'trials' | 'warmup' | 'seed'> & { readonly byTopology?: boolean; readonly pairs?: readonly CellPair[]; readonly pairing?: Pairing }, tracedBlocks: number): Planner {
  // 'block', or no pairs: each cell once, shuffled
  const pairs = cfg.pairing === 'block' ? undefined : cfg.pairs;
  const schedule = buildSchedule(cells, cfg.trials, cfg.warmup, seededRng(cfg.seed), tracedBlocks, cfg.byTopology ?? false, pairs, cfg.pairing === 'adjacent' ? 'adjacent' : 'chain');
  let at = 0;
  const rerun = rerunRule();
  return {
    next: () => schedule[at++],
    // a measured trial taken while the machine was busy is taken again next, at most twice
    record: (t) => {
      if (!rerun(t)) return;
      schedule.splice(at, 0, { topology: t.topology, workload: t.workload, path: t.path, index: schedule.length, block: t.block, warmup: false, traced: false });
    },
    get progress() {
      return { done: Math.min(at, schedule.length), total: schedule.length };
    },
  };
}
