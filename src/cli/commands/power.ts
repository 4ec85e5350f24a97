/** bench gate-power: trials needed to catch a given regression, from a run's own noise. */
import { usageError } from '../../errors.js';
import { DEFAULT_GATE_CONFIG, loadGateConfig, thresholdFor } from '../../gate/gate.js';
import { estimatePower } from '../../gate/power.js';
import { loadResults } from '../../results/validate.js';
import { workload as workloadDef } from '../../workloads/registry.js';
import { fmtPct } from '../../util/format.js';
import { table } from '../../util/table.js';
import type { Session } from '../session.js';

export function powerCommand(session: Session, run: string, opts: { shift: string; trialCounts: string; metric?: string; absolute?: boolean; repeats: number }): number {
  const results = loadResults(run);
  const shift = Number(opts.shift);
  if (!(shift > 0 && shift < 1)) throw usageError('--shift must be a fraction between 0 and 1 (0.1 = 10%)');
  const trials = opts.trialCounts.split(',').map(Number);
  if (trials.some((n) => !Number.isInteger(n) || n < 2 || n > 100)) throw usageError('--trial-counts must be a comma list of whole numbers from 2 to 100');
  const cfg = loadGateConfig(DEFAULT_GATE_CONFIG);
  const mode = opts.absolute ? 'absolute' : 'relative';
  const rows = [];
  for (const workload of results.config.workloads) {
    const metric = opts.metric ?? workloadDef(workload).primary;
    for (const path of results.config.paths) {
      for (const topology of results.config.topologies) {
        if (mode === 'relative' && topology === 'host') continue;
        rows.push(...estimatePower(results, { topology, workload, path, metric }, { shift, trials, threshold: thresholdFor(cfg, workload, metric), mode, repeats: opts.repeats }));
      }
    }
  }
  if (rows.length === 0) throw usageError(`no cell of ${results.runId} has two or more trials to resample`);
  session.io.out(table(['cell', 'metric', 'trials', `P(catch ${fmtPct(shift, 0)} drop)`, 'P(false alarm)', 'samples'], rows.map((r) => [`${r.topology} ${r.workload} ${r.path}`, r.metric, String(r.trials), fmtPct(r.power, 0), fmtPct(r.falseAlarms, 1), String(r.pool)])));
  return 0;
}
