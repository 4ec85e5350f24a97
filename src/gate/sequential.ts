/**
 * `bench gate --run` measures until it knows: the current run takes blocks of trials
 * with the run's own planner, and the gate judges them at a few planned looks, stopping
 * as soon as every gated metric is decided or one has regressed. Each look tests at
 * alpha divided by the number of looks (Bonferroni over looks), so looking more than
 * once does not raise the chance of a false alarm above alpha: it is at most the sum of
 * the looks' chances, whenever the run stops. docs/methodology.md, "The gate".
 */
import { cellKey } from '../results/cell.js';
import type { Cell, Results } from '../results/types.js';
import type { GoalState, PlanGoal } from '../run/adaptive.js';
import { withHost } from '../run/adaptive.js';
import type { CellPair } from '../run/schedule.js';
import { type CurrentTrials, type GateConfig, type GateRow, gateRows } from './gate.js';

/** At most this many looks: each one costs alpha/looks of every test's level. */
export const MOST_LOOKS = 4;

/**
 * The blocks after which the gate looks: the first when the current run has `first`
 * blocks, the last at `last`, and in between spaced so that each look has about the
 * same factor more trials than the one before. At most `most`, each a whole block.
 */
export function gateLooks(first: number, last: number, most = MOST_LOOKS): number[] {
  if (!(first >= 1) || !(last >= 1)) throw new RangeError(`gate looks need blocks of 1 or more, got ${first} and ${last}`);
  if (last <= first) return [last];
  const k = Math.min(most, last - first + 1);
  const out = new Set<number>();
  for (let i = 0; i < k; i++) out.add(Math.round(first * (last / first) ** (i / (k - 1))));
  return [...out].sort((a, b) => a - b);
}

export interface GateSequence {
  /** the blocks after which the gate judges */
  readonly looks: readonly number[];
  /** the level each look tests at: alpha / looks */
  readonly alphaPerLook: number;
}

export function gateSequence(first: number, last: number, alpha: number): GateSequence {
  const looks = gateLooks(first, last);
  return { looks, alphaPerLook: alpha / looks.length };
}

/** The gate's configuration at the level of one look. */
export function atLook(cfg: GateConfig, seq: GateSequence): GateConfig {
  return { ...cfg, alpha: seq.alphaPerLook };
}

const rowName = (r: GateRow) => `${r.topology} ${r.workload} ${r.path} ${r.metric}`;

/** Where the gate stands after a look: a regression ends it; otherwise the undecided metrics' cells (with host's) are measured on. */
export function gateState(rows: readonly GateRow[], cells: readonly Cell[], look: string, mode: 'relative' | 'absolute'): GoalState {
  const undecided = rows.filter((r) => r.verdict === 'undecided');
  const regressed = rows.filter((r) => r.verdict === 'regression');
  if (regressed.length) {
    return { active: [], pairs: [], undecided: undecided.length, outOfReach: 0, done: `a regression is significant at ${look} (${regressed.map(rowName).join(', ')}): the gate fails whatever more trials show` };
  }
  if (undecided.length === 0) return { active: [], pairs: [], undecided: 0, outOfReach: 0, done: `every gated metric is decided at ${look}` };
  const open = new Map<string, Cell>();
  for (const r of undecided) open.set(cellKey(r), { topology: r.topology, workload: r.workload, path: r.path });
  const active = withHost(cells, [...open.values()]);
  // relative mode divides each trial by the host trial nearest it: run the two side by side
  const hostOf = (c: Cell) => active.find((h) => h.topology === 'host' && h.workload === c.workload && h.path === c.path);
  const pairs: CellPair[] = mode === 'relative' ? [...open.values()].flatMap((c) => (hostOf(c) ? [[c, hostOf(c)!] as const] : [])) : [];
  return { active, pairs, undecided: undecided.length, outOfReach: 0, done: '' };
}

/**
 * The plan goal of `bench gate --run`: at each planned look, judge the trials so far
 * against the baseline at alpha / looks; stop at a regression or when every gated metric
 * is decided, else measure the undecided metrics' cells on.
 */
export function gateGoal(baseline: Results, current: Pick<CurrentTrials, 'config'>, cells: readonly Cell[], cfg: GateConfig, mode: 'relative' | 'absolute', seq: GateSequence): PlanGoal & { ended(): string | null } {
  const judged = atLook(cfg, seq);
  const total = gateRows(baseline, { config: current.config, trials: [] }, judged, mode).length;
  let ended: string | null = null;
  return {
    total,
    noun: 'gated metrics',
    assess(trials, blocks) {
      const k = seq.looks.indexOf(blocks);
      if (k < 0) return null;
      const rows = gateRows(baseline, { config: current.config, trials }, judged, mode);
      const state = gateState(rows, cells, `look ${k + 1} of ${seq.looks.length} (after ${blocks} blocks)`, mode);
      if (state.active.length === 0) ended = state.done;
      return state;
    },
    ended: () => ended,
  };
}
