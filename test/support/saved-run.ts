/**
 * A saved run's trials (test/fixtures/results/quick-trials.json: a README quick run's
 * trials, trimmed to what verdicts read), judged again as `bench report --estimator`
 * judges them, and one of a comparison's trials made a glitch.
 */
import { type ComparisonSides, type ComparisonSpec, comparisonSpecs, judge } from '../../src/results/comparisons.js';
import type { TrialRecord } from '../../src/results/types.js';
import type { Estimator } from '../../src/results/verdict.js';
import type { TrafficPath, WorkloadName } from '../../src/workloads/registry.js';

export interface SavedRun {
  readonly config: { readonly workloads: WorkloadName[]; readonly paths: TrafficPath[]; readonly challengers: string[]; readonly against: string[] };
  readonly trials: TrialRecord[];
}

export function comparisonSidesFromConfig(run: SavedRun): ComparisonSides {
  return { challengers: run.config.challengers, against: run.config.against };
}

/** The run's comparisons judged as one family with an estimator; the specs are the same objects for the same run and sides. */
const specCache = new WeakMap<SavedRun, ComparisonSpec[]>();
export function judgeWith(trials: readonly TrialRecord[], sides: ComparisonSides, run: SavedRun, estimator: Estimator) {
  let specs = specCache.get(run);
  if (!specs) specCache.set(run, (specs = comparisonSpecs(sides, run.config.workloads, run.config.paths)));
  return judge(trials, specs, { estimator });
}

/** The trials with the challenger's measured trial in the middle paired block of `s` scaled by `factor` in s's metric. */
export function glitched(trials: readonly TrialRecord[], s: ComparisonSpec, factor: number): TrialRecord[] {
  const measured = (t: TrialRecord, topology: string) => t.topology === topology && t.workload === s.workload && t.path === s.path && !t.warmup && !t.traced && t.status === 'ok' && !('contaminated' in t && t.contaminated);
  const blocksOf = (topology: string) => new Set(trials.filter((t) => measured(t, topology)).map((t) => t.block));
  const bBlocks = blocksOf(s.b);
  const shared = [...blocksOf(s.a)].filter((b) => bBlocks.has(b)).sort((x, y) => x - y);
  const mid = shared[Math.floor(shared.length / 2)];
  const i = trials.findIndex((t) => measured(t, s.a) && t.block === mid);
  if (i < 0) throw new Error(`no trial of ${s.a} in block ${String(mid)}`);
  const t = trials[i]!;
  const m = t.metrics[s.metric]!;
  const bad = { ...t, metrics: { ...t.metrics, [s.metric]: { ...m, value: m.value * factor } } } as TrialRecord;
  return trials.map((x, j) => (j === i ? bad : x));
}
