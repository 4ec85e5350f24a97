/** bench run: the suite's main job. */
import { join } from 'node:path';
import { EXIT, errorMessage } from '../../errors.js';
import { missingFromRun } from '../../results/completeness.js';
import { summaryTable } from '../../report/terminal.js';
import { claimSummary, compareAll } from '../../report/verdicts.js';
import { datapathSentence, sameDatapath } from '../../results/datapath.js';
import { sampleProcs } from '../../run/interference.js';
import { writeReport } from '../../report/write.js';
import type { Results } from '../../results/types.js';
import { type RunConfig, type RunFlags, resolveRunConfig } from '../../run/config.js';
import { type ExecuteOptions, executeRun } from '../../run/execute.js';
import { progressPrinter } from '../progress.js';
import { runTools } from '../../run/needs.js';
import { prepareRealHosts, realHostTarget } from '../../run/peer.js';
import { preflight } from '../../tools.js';
import { BpftraceTracer } from '../../trace/tracer.js';
import { checkWritable } from '../../util/files.js';
import { holdCpuLatency } from '../../lab/idle.js';
import { fmtDuration } from '../../util/format.js';
import type { Session } from '../session.js';

export interface RunCliFlags extends RunFlags {
  readonly json?: boolean;
  readonly report?: boolean;
}

export interface PerformedRun {
  readonly results: Results;
  readonly dir: string;
  readonly reportLine: string;
  readonly wallS: number;
}

/** Resolve, check, lock, run, write the report. Shared by `bench run` and `bench gate --run`. */
export async function performRun(session: Session, flags: RunFlags, command: string, plan: Pick<ExecuteOptions, 'goal'> = {}): Promise<PerformedRun> {
  const cfg = resolveRunConfig(flags);
  const realTarget = realHostTarget(flags);
  preflight(runTools(cfg));
  checkWritable(join(cfg.outDir, 'results.json'), 'results file (--out)');
  return session.withLock(command, async () => {
    const io = session.io;
    const started = performance.now();
    const progress = progressPrinter(io, cfg, { quiet: flags.quiet ?? false });
    if (!flags.quiet) io.err(`run ${cfg.runId}: ${cfg.topologies.length} topologies, ${cfg.workloads.join(' ')} on ${cfg.paths.join(' ')}, ${cfg.budgetS !== null || plan.goal ? `trials of ${cfg.durationS}s until every ${plan.goal ? 'gated metric' : 'comparison'} is decided${cfg.budgetS !== null ? `, within ${fmtDuration(cfg.budgetS)}` : ''} (at most ${cfg.trials} blocks)` : `${cfg.trials} trials of ${cfg.durationS}s`} (seed ${cfg.seed})\n`);
    // a real-host run: connect and check both machines before anything is touched
    const hosts = realTarget ? await prepareRealHosts(session.runner, realTarget, session.state, cfg.tag, command, (l) => !flags.quiet && io.err(io.isTTY ? `\r\x1b[2K${l}` : `${l}\n`), { valueUs: cfg.cpuLatencyUs, timeoutMs: runBoundMs(cfg) }) : undefined;
    if (hosts?.env.peer.idle?.note && cfg.cpuLatencyUs !== null && hosts.env.peer.idle.requestUs === null) io.err(`warning: ${hosts.env.peer.idle.note}\n`);
    const runner = hosts?.real.runner ?? session.runner;
    // a real-host run traces the peer too, with its own sampler, when bpftrace can run there
    const peer = hosts ? { peer: { runner: hosts.real.runner.remote, reason: hosts.peerTracing } } : {};
    const tracer = cfg.trace ? new BpftraceTracer(runner, { backend: cfg.tracer, variant: cfg.traceVariant, ...(cfg.traceProgram ? { program: cfg.traceProgram } : {}), ...peer }) : undefined;
    if (tracer && !tracer.available) io.err(`tracing unavailable: ${tracer.reason}; the run goes on untraced\n`);
    if (tracer && hosts?.peerTracing) io.err(`the peer machine will not be traced: ${hosts.peerTracing}\n`);
    let outcome: Awaited<ReturnType<typeof executeRun>>;
    try {
      outcome = await executeRun(cfg, { runner, state: session.state, aborted: () => session.aborted, progress, command, cpuIdle: { hold: (us) => holdCpuLatency(us) }, watch: { sample: sampleProcs, quietMs: 2000 }, warn: (m) => io.err(`${io.isTTY ? '\r\x1b[2K' : ''}warning: ${m}\n`), note: (m) => io.err(`${io.isTTY ? '\r\x1b[2K' : ''}${m}\n`), ...(tracer ? { tracer } : {}), ...(hosts ? { real: { ...hosts.real, env: hosts.env } } : {}) }, plan);
    } finally {
      await hosts?.close();
    }
    const { results, store } = outcome;
    if (io.isTTY) io.err('\r\x1b[2K');
    let reportLine: string;
    try {
      const rep = writeReport(results, join(store.dir, 'report.html'));
      reportLine = `report: ${rep.html} (${Math.round(rep.htmlBytes / 1024)} KiB); summary: ${rep.markdown}`;
    } catch (err) {
      reportLine = `report could not be written: ${errorMessage(err)} (bench report ${store.dir} retries)`;
    }
    return { results, dir: store.dir, reportLine, wallS: (performance.now() - started) / 1000 };
  });
}

/** The longest a run can take: bounds what it leaves running on the peer if this machine is lost. */
export function runBoundMs(cfg: RunConfig): number {
  const cells = cfg.topologies.length * cfg.workloads.length * cfg.paths.length;
  const s = cfg.budgetS ?? (cfg.trials + cfg.warmup) * cells * (cfg.durationS + 5);
  return (s + 900) * 1000;
}

export async function runCommand(session: Session, flags: RunCliFlags): Promise<number> {
  const { results, dir, reportLine, wallS } = await performRun(session, flags, `bench run ${process.argv.slice(3).join(' ')}`.trim());
  const io = session.io;
  if (flags.json) {
    io.out(`${JSON.stringify({ runId: results.runId, status: results.status, results: join(dir, 'results.json'), report: join(dir, 'report.html'), summary: results.summary, notApplicable: results.notApplicable, caveats: results.caveats }, null, 2)}\n`);
  } else {
    io.out(summaryTable(results));
    const claim = claimSummary(compareAll(results).rows);
    io.out(`\n${claim.text}\n${claim.perAlternative.map((l) => `  ${l}\n`).join('')}`);
    for (const d of sameDatapath(results)) io.out(`${datapathSentence(d)}\n`);
    io.out(`\nrun ${results.runId} ${results.status} in ${fmtDuration(wallS)}; results: ${join(dir, 'results.json')}\n${reportLine}\n`);
  }
  session.throwIfAborted();
  const missing = missingFromRun(results);
  if (missing.length === 0) return EXIT.ok;
  io.err(`netbench: the run measured less than it was asked to:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
  return EXIT.incomplete;
}
