/** bench gate-power: trials needed to catch a given regression, from a run's own noise. */
import { usageError } from '../../errors.js';
import { DEFAULT_GATE_CONFIG, loadGateConfig, thresholdFor } from '../../gate/gate.js';
import { estimatePower, estimateSequentialPower } from '../../gate/power.js';
import type { Cell } from '../../results/types.js';
import { loadResults } from '../../results/validate.js';
import { workload as workloadDef } from '../../workloads/registry.js';
import { fmtPct } from '../../util/format.js';
import { table } from '../../util/table.js';
import type { Session } from '../session.js';
import { ESTIMATORS } from '../../results/verdict.js';
import { parseList } from '../../run/config.js';

export function powerCommand(session: Session, run: string, opts: { shift: string; trialCounts: string; metric?: string; absolute?: boolean; repeats: number; sequential?: boolean; estimator?: string }): number {
  const results = loadResults(run);
  const shift = Number(opts.shift);
  if (!(shift > 0 && shift < 1)) throw usageError('--shift must be a fraction between 0 and 1 (0.1 = 10%)');
  const trials = opts.trialCounts.split(',').map(Number);
  if (trials.some((n) => !Number.isInteger(n) || n < 2 || n > 100)) throw usageError('--trial-counts must be a comma list of whole numbers from 2 to 100');
  const cfg = loadGateConfig(DEFAULT_GATE_CONFIG);
  const estimator = opts.estimator === undefined ? (cfg.estimator ?? 'robust') : parseList(opts.estimator, ESTIMATORS, 'estimator')[0]!;
  session.io.out(`the gate's test: ${estimator === 'mean' ? 'permutation test on the means of the logs (mean)' : 'Wilcoxon-Mann-Whitney rank-sum permutation test (robust)'}\n`);
  const mode = opts.absolute ? 'absolute' : 'relative';
  const cells: (Cell & { metric: string })[] = [];
  for (const workload of results.config.workloads) {
    const metric = opts.metric ?? workloadDef(workload).primary;
    for (const path of results.config.paths) {
      for (const topology of results.config.topologies) if (!(mode === 'relative' && topology === 'host')) cells.push({ topology, workload, path, metric });
    }
  }
  const none = () => usageError(`no cell of ${results.runId} has two or more trials to resample`);
  if (opts.sequential) {
    const seq = cells.flatMap((c) => estimateSequentialPower(results, c, { shift, first: trials, threshold: thresholdFor(cfg, c.workload, c.metric), mode, alpha: cfg.alpha, repeats: opts.repeats, estimator }));
    if (seq.length === 0) throw none();
    session.io.out(`bench gate --run: the baseline's trials, the current run up to twice as many, the gate looking at the blocks shown, each test at alpha / looks\n`);
    session.io.out(table(['cell', 'metric', 'baseline trials', 'looks', `P(catch ${fmtPct(shift, 0)} drop)`, 'mean trials', 'P(false alarm)', 'mean trials (A/A)', 'samples'], seq.map((r) => [`${r.topology} ${r.workload} ${r.path}`, r.metric, String(r.trials), r.looks.join(','), fmtPct(r.power, 0), r.meanTrials.toFixed(1), fmtPct(r.falseAlarms, 1), r.meanTrialsAA.toFixed(1), String(r.pool)])));
    return 0;
  }
  const rows = cells.flatMap((c) => estimatePower(results, c, { shift, trials, threshold: thresholdFor(cfg, c.workload, c.metric), mode, repeats: opts.repeats, estimator }));
  if (rows.length === 0) throw none();
  session.io.out(table(['cell', 'metric', 'trials', `P(catch ${fmtPct(shift, 0)} drop)`, 'P(false alarm)', 'samples'], rows.map((r) => [`${r.topology} ${r.workload} ${r.path}`, r.metric, String(r.trials), fmtPct(r.power, 0), fmtPct(r.falseAlarms, 1), String(r.pool)])));
  return 0;
}
