/**
 * The adaptive planner: warm-ups, the tracing blocks (every cell, each untraced trial
 * paired with a traced one in the same block), then blocks of only the
 * cells that some undecided comparison within reach still needs, until every comparison
 * is decided or out of reach, the budget would be overrun (the first block runs whatever
 * the budget), or the most blocks are taken. host runs in every block
 * that measures its workload and path, since every ratio pairs with it. A trial taken
 * while the machine was busy is re-run in its block, at most twice. Looking after every
 * block is safe: the verdicts use anytime-valid intervals (results/verdict.ts).
 */
import { byCell, type Cell, cellKey } from '../results/cell.js';
import { type ComparisonSpec, judge, specCells } from '../results/comparisons.js';
import type { TrialRecord } from '../results/types.js';
import type { Estimator } from '../results/verdict.js';
import { median } from '../stats/summary.js';
import { seededRng } from '../stats/rng.js';
import { MAX_RERUNS, type Planner, rerunRule } from './plan.js';
import type { Pairing } from './config.js';
import { blockOrder, buildSchedule, type CellPair, chainBlockOrder, distinctPairs, pairedBlockOrder, type ScheduledTrial, tracingBlockOrder } from './schedule.js';

export interface AdaptiveOptions {
  readonly specs: readonly ComparisonSpec[];
  readonly seed: number;
  readonly warmup: number;
  readonly tracedBlocks: number;
  /** the most measured blocks */
  readonly maxBlocks: number;
  /** seconds of traffic per trial, for estimates before any trial has run */
  readonly durationS: number;
  /** when the budget ends (ms on the `now` clock), teardown's reserve already taken off; Infinity for none */
  readonly deadlineMs: number;
  readonly now?: () => number;
  /** re-runs of a contaminated trial in its block */
  readonly maxReruns?: number;
  /** keep each topology's trials of a block together (a real-host run rebuilds on every change) */
  readonly byTopology?: boolean;
  /** false: keep measuring comparisons that are out of reach (activeCells), as the A/A simulation does to look every block */
  readonly outOfReach?: boolean;
  /** what one change of topology costs (a real-host run moves the test NICs), for the budget's estimate */
  readonly switchMs?: () => number;
  /** 'chain' (the default): each cell once, comparisons side by side where they can be; 'adjacent': every open comparison back to back (cells repeat); 'block': each cell once, shuffled (the design before) */
  readonly pairing?: Pairing;
  /** how the comparisons' intervals are made (results/verdict.ts): the robust sequence by default */
  readonly estimator?: Estimator;
  /** what the plan measures until: the run's comparisons (`specs`) by default; `bench gate --run` gives its gated metrics (gate/sequential.ts) */
  readonly goal?: PlanGoal;
}

/** Where a plan stands after a block: the cells still needed, and why it ends when none is. */
export interface GoalState {
  readonly active: Cell[];
  /** cells whose trials should run side by side (the two sides of what is judged) */
  readonly pairs: CellPair[];
  readonly undecided: number;
  readonly outOfReach: number;
  /** why nothing more is needed, when `active` is empty */
  readonly done: string;
}

/**
 * What a plan measures until. After each measured block `assess` says which cells are
 * still needed; null keeps measuring the cells it named last (a goal that judges only at
 * planned looks, like the gate's).
 */
export interface PlanGoal {
  /** how many things are judged, and what they are called ("comparisons", "gated metrics") */
  readonly total: number;
  readonly noun: string;
  assess(trials: readonly TrialRecord[], blocks: number, blocksLeft: number): GoalState | null;
}

export interface AdaptiveStatus {
  readonly block: number;
  readonly comparisons: number;
  readonly undecided: number;
  /** undecided comparisons the budget cannot decide at their spread so far (activeCells) */
  readonly outOfReach: number;
  readonly activeCells: number;
  /** why the plan ended, once it has */
  readonly stopped: string | null;
  readonly reruns: number;
  /** the estimated time left, in seconds */
  readonly etaS: number;
}

export interface AdaptivePlanner extends Planner {
  status(): AdaptiveStatus;
  outlook(): NonNullable<ReturnType<NonNullable<Planner['outlook']>>>;
}

/** Out-of-reach judgements wait until a comparison has this many pairs: the spread of fewer is too uncertain to project from. */
export const FUTILE_AFTER = 5;
/** ... and allow for that uncertainty: out of reach only when even this many times the pairs the budget can still give would not decide it. */
export const FUTILE_SLACK = 2;

/**
 * Cells that the undecided comparisons need, with host's cell for every workload and path
 * still measured. A comparison that, at its spread so far, would need more than
 * FUTILE_SLACK times the pairs it can still get (its pairs now plus `blocksLeft`) is out
 * of reach: its cells are not measured for it. Leaving a comparison undecided never makes
 * a verdict wrong, so this keeps the error guarantee; it only ends a run that could not
 * decide more before its budget.
 */
export function activeCells(cells: readonly Cell[], trials: readonly TrialRecord[], specs: readonly ComparisonSpec[], blocksLeft = Infinity, estimator?: Estimator): GoalState {
  const { specs: judged, family } = judge(trials, specs, estimator ? { estimator } : {});
  const verdictOf = new Map(judged.map((s, i) => [s, family.verdicts[i]!]));
  const open = specs.filter((s) => (verdictOf.get(s)?.kind ?? 'inconclusive') === 'inconclusive');
  const futile = (s: ComparisonSpec): boolean => {
    const v = verdictOf.get(s);
    const needed = v?.pairsToDecide;
    return v !== undefined && needed !== undefined && v.n >= FUTILE_AFTER && needed > FUTILE_SLACK * (v.n + blocksLeft);
  };
  // a comparison with a side that is not measured (a topology that did not build, a path it does not have) cannot be decided by measuring its other side
  const measured = new Set(cells.map(cellKey));
  const measurable = open.filter((s) => specCells(s).every((c) => measured.has(cellKey(c))));
  const reachable = measurable.filter((s) => !futile(s));
  const outOfReach = measurable.length - reachable.length;
  const active = withHost(cells, reachable.flatMap(specCells));
  return { active, pairs: distinctPairs(reachable.map(specCells)), undecided: open.length, outOfReach, done: nothingLeft(open.length, outOfReach) };
}

/** The cells named, and host's cell in every workload and path they measure (every ratio to host pairs with it), in the order of `cells`. */
export function withHost(cells: readonly Cell[], needed: readonly Cell[]): Cell[] {
  const need = new Set(needed.map(cellKey));
  const lanes = new Set(cells.filter((c) => need.has(cellKey(c))).map((c) => `${c.workload} ${c.path}`));
  return cells.filter((c) => need.has(cellKey(c)) || (c.topology === 'host' && lanes.has(`${c.workload} ${c.path}`)));
}

/** The default goal: every comparison of the run decided, or out of reach (activeCells). */
export function comparisonGoal(cells: readonly Cell[], specs: readonly ComparisonSpec[], outOfReach = true, estimator?: Estimator): PlanGoal {
  return { total: specs.length, noun: 'comparisons', assess: (trials, _blocks, blocksLeft) => activeCells(cells, trials, specs, outOfReach ? blocksLeft : Infinity, estimator) };
}

/** What trials of these cells will take, from the median duration of each cell's plain trials so far (of any cell's, before it has one). */
function costEstimator(trials: readonly TrialRecord[], durationS: number): (cells: readonly Cell[]) => number {
  // the trials so far, read at each estimate (the planner keeps adding to them)
  return (cells) => {
    const plain = trials.filter((t) => !t.warmup && !t.traced);
    const all = plain.length ? median(plain.map((t) => t.durationMs)) : durationS * 1100 + 300;
    const perCell = new Map([...byCell(plain)].map(([k, ts]) => [k, median(ts.map((t) => t.durationMs))]));
    return cells.reduce((s, c) => s + (perCell.get(cellKey(c)) ?? all), 0);
  };
}

function budgetSpent(undecided: number, total: number, outOfReach: number, noun: string): string {
  return `the budget is spent (${undecided} of ${total} ${noun} undecided)${outOfReach ? `; ${outOfReach} of them are out of reach at their spread so far` : ''}`;
}

/** The progress line's account: "36 of 60 comparisons undecided (32 out of reach), 14 cells measured". */
function outlookNote(st: AdaptiveStatus, noun: string): string {
  return `${st.undecided} of ${st.comparisons} ${noun} undecided${st.outOfReach ? ` (${st.outOfReach} out of reach)` : ''}, ${st.activeCells} cells measured${st.reruns ? `, ${st.reruns} re-runs` : ''}`;
}

/** Why a plan ends when no cell is needed any more. */
function nothingLeft(undecided: number, outOfReach: number): string {
  if (undecided === 0) return 'every comparison is decided';
  const lacking = undecided - outOfReach;
  const reach = outOfReach ? `${outOfReach} undecided are out of reach: at their spread so far each would need more than ${FUTILE_SLACK}× the paired trials the budget can still give` : '';
  return `every comparison that can be decided within the budget is decided; ${[reach, lacking ? `${lacking} lack a measured side` : ''].filter(Boolean).join('; ')}`;
}

/**
 * The time a plan has left, in seconds: the run goes on until the budget unless
 * everything is decided first, so the budget left is the honest bound; without one, the
 * blocks still allowed at the last block's cost.
 */
function secondsLeft(budgetLeftMs: number, blocksLeftMs: number): number {
  return (Number.isFinite(budgetLeftMs) ? Math.max(0, budgetLeftMs) : blocksLeftMs) / 1000;
}

/** The blocks the time left holds at one block's cost (all of them, without a deadline). */
function blocksByBudget(leftMs: number, blockMs: number): number {
  return Number.isFinite(leftMs) ? Math.max(0, Math.floor(leftMs / Math.max(1, blockMs))) : Infinity;
}

export function adaptivePlanner(cells: readonly Cell[], opts: AdaptiveOptions): AdaptivePlanner {
  const rng = seededRng(opts.seed);
  const now = opts.now ?? (() => performance.now());
  const rerun = rerunRule(opts.maxReruns ?? MAX_RERUNS);
  const trials: TrialRecord[] = [];
  const queue: ScheduledTrial[] = [];
  let index = 0;
  let block = -1;
  let stopped: string | null = null;
  const goal = opts.goal ?? comparisonGoal(cells, opts.specs, opts.outOfReach !== false, opts.estimator);
  let undecided = goal.total;
  let outOfReach = 0;
  let active: readonly Cell[] = cells;
  let pairs: readonly CellPair[] = distinctPairs(opts.specs.map(specCells));
  // the last plain block, for the cost of the next ones
  let lastPlain: readonly Cell[] = [];
  let [reruns, taken, tracingOn] = [0, 0, true];
  const push = (c: Cell, b: number, warmup: boolean, traced: boolean, front = false) =>
    queue[front ? 'unshift' : 'push']({ topology: c.topology, workload: c.workload, path: c.path, index: index++, block: b, warmup, traced });
  for (const w of buildSchedule(cells, 0, opts.warmup, rng, 0, opts.byTopology ?? false)) push(w, -1, true, false);
  const estimateMs = costEstimator(trials, opts.durationS);
  // the next plain block's cells, in order (with 'adjacent' a cell may run more than once)
  const pairing = opts.byTopology ? 'block' : (opts.pairing ?? 'chain');
  const plainBlock = (): Cell[] => (pairing === 'adjacent' ? pairedBlockOrder(active, pairs, rng) : pairing === 'chain' ? chainBlockOrder(active, pairs, rng) : blockOrder(active, rng, opts.byTopology));
  const nextBlock = (): void => {
    if (block + 1 >= opts.maxBlocks) return void (stopped = `the most trials (${opts.maxBlocks}) were taken`);
    if (block >= 0) {
      const state = goal.assess(trials, block + 1, Math.min(blocksByBudget(opts.deadlineMs - now(), estimateMs(lastPlain.length ? lastPlain : active)), opts.maxBlocks - block - 1));
      if (state) {
        ({ active, pairs, undecided, outOfReach } = state);
        if (active.length === 0) return void (stopped = state.done);
      }
    }
    // the first `tracedBlocks` blocks measure every cell twice, untraced and traced; when
    // the budget can no longer hold one, tracing ends and plain blocks go on
    let tracing = tracingOn && block + 1 < opts.tracedBlocks;
    if (tracing && block >= 0 && now() + 2 * estimateMs(cells) > opts.deadlineMs) tracing = tracingOn = false;
    const order = tracing ? [] : plainBlock();
    const switches = opts.switchMs ? new Set((tracing ? cells : active).map((c) => c.topology)).size * opts.switchMs() : 0;
    const cost = (tracing ? 2 * estimateMs(cells) : estimateMs(order)) + switches;
    // the first block always runs: a run that measured nothing would answer nothing
    if (block >= 0 && now() + cost > opts.deadlineMs) return void (stopped = budgetSpent(undecided, goal.total, outOfReach, goal.noun));
    block++;
    if (tracing) for (const { cell, traced } of tracingBlockOrder(cells, rng, opts.byTopology, block % 2 === 1)) push(cell, block, false, traced);
    else {
      for (const c of order) push(c, block, false, false);
      lastPlain = order;
    }
  };

  return {
    next() {
      if (stopped) return undefined;
      if (queue.length === 0) nextBlock();
      if (queue.length > 0 && block > 0 && now() > opts.deadlineMs + 30_000) stopped = 'the budget is spent';
      if (stopped || queue.length === 0) return undefined;
      taken++;
      return queue.shift();
    },
    record(t) {
      trials.push(t);
      if (!rerun(t)) return;
      reruns++;
      push(t, t.block, false, false, true);
    },
    // like the fixed plan's: `done` counts the trials handed out, the one running included
    get progress() {
      return { done: taken, total: taken + queue.length + (stopped ? 0 : active.length) };
    },
    outlook() {
      const st = this.status();
      return { etaS: st.etaS, note: outlookNote(st, goal.noun), stopped: st.stopped };
    },
    status() {
      const left = secondsLeft(opts.deadlineMs - now(), (opts.maxBlocks - block - 1) * estimateMs(lastPlain.length ? lastPlain : active) + estimateMs(queue));
      return { block, comparisons: goal.total, undecided, outOfReach, activeCells: active.length, stopped, reruns, etaS: stopped ? 0 : left };
    },
  };
}
