/** bench gate and bench baseline save. */
import { NetbenchError, usageError } from '../../errors.js';
import { resolveBaseline, saveBaseline } from '../../gate/baseline.js';
import { DEFAULT_GATE_CONFIG, gateExitCode, incompatibilities, loadGateConfig, runGate } from '../../gate/gate.js';
import { gateJUnit, gateMarkdown, gateSummaryLine, gateTable, problemLines, sequenceLine } from '../../gate/render.js';
import { atLook, gateGoal, type GateSequence, gateSequence } from '../../gate/sequential.js';
import { checkWritable, writeFileAtomic } from '../../util/files.js';
import { LIMITS, parseList, type RunConfig, type RunFlags } from '../../run/config.js';
import { selectCells } from '../../results/subset.js';
import { TRAFFIC_PATHS, WORKLOAD_NAMES } from '../../workloads/registry.js';
import { loadResults } from '../../results/validate.js';
import type { Cell, Results } from '../../results/types.js';
import type { Session } from '../session.js';
import { performRun } from './run.js';

export interface GateFlags extends RunFlags {
  readonly baseline: string;
  readonly current?: string;
  readonly run?: boolean;
  readonly absolute?: boolean;
  readonly force?: boolean;
  readonly strict?: boolean;
  /** exit 0 on a suspect metric (the estimate past the threshold, not significant), as the gate did before it failed safe */
  readonly lenient?: boolean;
  readonly config?: string;
  readonly markdown?: string;
  readonly junit?: string;
  readonly json?: boolean;
}

export async function gateCommand(session: Session, flags: GateFlags): Promise<number> {
  if (Boolean(flags.current) === Boolean(flags.run)) throw usageError('give exactly one of --current <results.json> or --run');
  const cfg = loadGateConfig(flags.config ?? DEFAULT_GATE_CONFIG);
  let baseline = resolveBaseline(flags.baseline);
  if (baseline.status !== 'complete') throw usageError(`the baseline ${baseline.runId} is ${baseline.status}, not complete: a baseline must be a complete run`);
  // outputs that cannot be written fail now, not after a long run
  if (flags.markdown) checkWritable(flags.markdown, '--markdown file');
  if (flags.junit) checkWritable(flags.junit, '--junit file');
  const mode = flags.absolute ? 'absolute' : 'relative';
  let current: Results;
  let sequence: GateSequence | undefined;
  let goal: ReturnType<typeof gateGoal> | undefined;
  if (flags.current) current = loadResults(flags.current);
  else {
    // the current run measures what the baseline measured, unless flags say otherwise, adaptively:
    // the gate looks first when it has as many blocks as the baseline (an adaptive baseline's, at least 6)
    const first = baseline.config.budgetS ? Math.max(6, ...baseline.trials.map((t) => t.block + 1)) : baseline.config.trials;
    const runFlags: RunFlags = {
      ...flags,
      // gate's --force is about comparing runs; it never replaces an earlier run's directory
      force: false,
      topology: flags.topology ?? baseline.config.topologies.join(','),
      workload: flags.workload ?? baseline.config.workloads.join(','),
      path: flags.path ?? baseline.config.paths.join(','),
      // the most blocks: --trials, or twice the first look's (with --budget, the profile's)
      ...(flags.budget ? {} : { trials: flags.trials ?? Math.min(LIMITS.trials[1], 2 * first) }),
      duration: flags.duration ?? baseline.config.durationS,
      profile: flags.profile ?? baseline.profile,
      // the baseline's CPU idle regime: a run from before it was recorded held no request
      deepIdle: flags.deepIdle ?? (baseline.environment.idle?.requestUs ?? null) === null,
    };
    const judgeUntil = (cells: readonly Cell[], rc: RunConfig) => {
      sequence = gateSequence(Math.min(first, rc.trials), rc.trials, cfg.alpha);
      goal = gateGoal(baseline, { config: { topologies: rc.topologies.map((t) => t.name), workloads: rc.workloads, paths: rc.paths } }, cells, cfg, mode, sequence);
      return goal;
    };
    const done = await performRun(session, runFlags, `bench gate --run (baseline ${baseline.runId})`, { goal: judgeUntil });
    session.throwIfAborted();
    session.io.err(`current run: ${done.dir} (${done.reportLine})\n`);
    current = done.results;
  }
  if (flags.current && (flags.workload || flags.path)) {
    // judge only the named workloads and paths, in both runs alike
    const sel = { workloads: flags.workload ? parseList(flags.workload, WORKLOAD_NAMES, 'workload') : undefined, paths: flags.path ? parseList(flags.path, TRAFFIC_PATHS, 'path') : undefined };
    baseline = selectCells(baseline, sel);
    current = selectCells(current, sel);
  }
  const problems = incompatibilities(baseline, current, mode);
  if (problems.length && !flags.force) {
    throw new NetbenchError('USAGE', `refusing to compare ${baseline.runId} with ${current.runId}: ${problems.join('; ')} (--force compares anyway)`);
  }
  // a current run measured with looks is judged at the level of one look
  const judged = runGate(baseline, current, sequence ? atLook(cfg, sequence) : cfg, mode, problems.map((p) => `compared despite: ${p}`));
  const blocks = new Set(current.trials.filter((t) => !t.warmup).map((t) => t.block)).size;
  const report = sequence ? { ...judged, sequence: { looks: sequence.looks, alphaPerLook: sequence.alphaPerLook, blocks, stopped: goal?.ended() ?? null } } : judged;
  if (report.rows.length === 0 && report.problems.length === 0) throw new NetbenchError('USAGE', `nothing to compare: the runs share no topology, workload and path with figures (baseline ${baseline.runId}, current ${current.runId})`);
  if (flags.markdown) writeFileAtomic(flags.markdown, gateMarkdown(report), '--markdown file');
  if (flags.junit) writeFileAtomic(flags.junit, gateJUnit(report), '--junit file');
  const code = gateExitCode(report, Boolean(flags.strict), Boolean(flags.lenient));
  if (flags.json) session.io.out(`${JSON.stringify({ baseline: baseline.runId, current: current.runId, ...report, exitCode: code }, null, 2)}\n`);
  else {
    if (report.rows.length) session.io.out(gateTable(report));
    for (const w of report.warnings) session.io.out(`warning: ${w}\n`);
    for (const l of problemLines(report)) session.io.out(`${l}\n`);
    const seq = sequenceLine(report);
    if (seq) session.io.out(`${seq}\n`);
    session.io.out(`\n${gateSummaryLine(report)}\n`);
  }
  return code;
}

export function baselineSave(session: Session, run: string, opts: { name: string; dir?: string; force?: boolean }): number {
  const { path, results, replaced } = saveBaseline(run, opts.name, opts.dir, opts.force);
  session.io.out(`baseline '${opts.name}' = run ${results.runId} (${results.config.topologies.join(', ')}; ${results.config.workloads.join(', ')}): ${path}${replaced ? ` (replaced run ${replaced})` : ''}\n`);
  return 0;
}
