/** bench gate and bench baseline save. */
import { writeFileSync } from 'node:fs';
import { NetbenchError, usageError } from '../../errors.js';
import { resolveBaseline, saveBaseline } from '../../gate/baseline.js';
import { DEFAULT_GATE_CONFIG, gateExitCode, incompatibilities, loadGateConfig, runGate } from '../../gate/gate.js';
import { gateJUnit, gateMarkdown, gateSummaryLine, gateTable } from '../../gate/render.js';
import type { RunFlags } from '../../run/config.js';
import { loadResults } from '../../results/validate.js';
import type { Results } from '../../results/types.js';
import type { Session } from '../session.js';
import { performRun } from './run.js';

export interface GateFlags extends RunFlags {
  readonly baseline: string;
  readonly current?: string;
  readonly run?: boolean;
  readonly absolute?: boolean;
  readonly force?: boolean;
  readonly strict?: boolean;
  readonly config?: string;
  readonly markdown?: string;
  readonly junit?: string;
  readonly json?: boolean;
}

export async function gateCommand(session: Session, flags: GateFlags): Promise<number> {
  if (Boolean(flags.current) === Boolean(flags.run)) throw usageError('give exactly one of --current <results.json> or --run');
  const cfg = loadGateConfig(flags.config ?? DEFAULT_GATE_CONFIG);
  const baseline = resolveBaseline(flags.baseline);
  const mode = flags.absolute ? 'absolute' : 'relative';
  let current: Results;
  if (flags.current) current = loadResults(flags.current);
  else {
    // the current run measures what the baseline measured, unless flags say otherwise
    const runFlags: RunFlags = {
      ...flags,
      topology: flags.topology ?? baseline.config.topologies.join(','),
      workload: flags.workload ?? baseline.config.workloads.join(','),
      path: flags.path ?? baseline.config.paths.join(','),
      trials: flags.trials ?? baseline.config.trials,
      duration: flags.duration ?? baseline.config.durationS,
      profile: flags.profile ?? baseline.profile,
    };
    const done = await performRun(session, runFlags, `bench gate --run (baseline ${baseline.runId})`);
    session.throwIfAborted();
    session.io.err(`current run: ${done.dir} (${done.reportLine})\n`);
    current = done.results;
  }
  const problems = incompatibilities(baseline, current, mode);
  if (problems.length && !flags.force) {
    throw new NetbenchError('USAGE', `refusing to compare ${baseline.runId} with ${current.runId}: ${problems.join('; ')} (--force compares anyway)`);
  }
  const report = { ...runGate(baseline, current, cfg, mode), warnings: problems.map((p) => `compared despite: ${p}`) };
  if (report.rows.length === 0) throw new NetbenchError('USAGE', `nothing to compare: the runs share no topology, workload and path with figures (baseline ${baseline.runId}, current ${current.runId})`);
  if (flags.markdown) writeFileSync(flags.markdown, gateMarkdown(report));
  if (flags.junit) writeFileSync(flags.junit, gateJUnit(report));
  if (flags.json) session.io.out(`${JSON.stringify({ baseline: baseline.runId, current: current.runId, ...report, exitCode: gateExitCode(report, Boolean(flags.strict)) }, null, 2)}\n`);
  else {
    session.io.out(gateTable(report));
    for (const w of report.warnings) session.io.out(`warning: ${w}\n`);
    session.io.out(`\n${gateSummaryLine(report)}\n`);
  }
  return gateExitCode(report, Boolean(flags.strict));
}

export function baselineSave(session: Session, run: string, opts: { name: string; dir?: string }): number {
  const { path, results } = saveBaseline(run, opts.name, opts.dir);
  session.io.out(`baseline '${opts.name}' = run ${results.runId} (${results.config.topologies.join(', ')}; ${results.config.workloads.join(', ')}): ${path}\n`);
  return 0;
}
