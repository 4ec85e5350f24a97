/** bench run: the suite's main job. */
import { requireRoot, requireTools } from '../../tools.js';
import { type RunFlags, resolveRunConfig } from '../../run/config.js';
import { executeRun, type Progress } from '../../run/execute.js';
import { BpftraceTracer } from '../../trace/tracer.js';
import type { TracingCell } from '../../trace/aggregate.js';
import type { Results } from '../../results/types.js';
import { writeReport } from '../../report/write.js';
import { claimSummary, compareAll } from '../../report/verdicts.js';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { WORKLOADS, type WorkloadName } from '../../workloads/registry.js';
import { fmtDuration, fmtNum, fmtPct } from '../../util/format.js';
import { table } from '../../util/table.js';
import type { Session } from '../session.js';
import { neededTools } from './topology.js';

export interface RunCliFlags extends RunFlags {
  readonly json?: boolean;
  readonly report?: boolean;
}

/** bpftrace's view: one-way stack latency and the tracing overhead, per traced cell. */
export function tracingTable(results: Results): string {
  const t = results.tracing as { cells?: TracingCell[] } | undefined;
  if (!t?.cells?.length) return '';
  const rows = t.cells.map((c) => [
    c.topology,
    c.workload,
    c.path,
    String(c.packets),
    fmtNum(c.p50Us),
    fmtNum(c.p99Us),
    fmtNum(c.meanUs),
    fmtNum(c.hopMeanSumUs),
    String(c.hops.filter((h) => h.onPath).length),
    c.overhead ? `${fmtNum(c.overhead.ratio)}${c.overhead.flagged ? ' (beyond noise)' : ''}` : '-',
  ]);
  return `\nstack latency (bpftrace, sender interface to receiver interface):\n${table(['topology', 'workload', 'path', 'packets', 'P50 µs', 'P99 µs', 'mean µs', 'sum of hops µs', 'hops', 'traced/untraced'], rows)}`;
}

/** The primary metric of each workload, plus P99 for request/response. */
export function terminalMetrics(workload: string): string[] {
  const wl = WORKLOADS[workload as WorkloadName];
  if (!wl) return [];
  return wl.client === 'netperf' ? [wl.primary, 'p99_us'] : [wl.primary];
}

export function summaryTable(results: Results): string {
  const rows: string[][] = [];
  for (const s of results.summary) {
    if (!terminalMetrics(s.workload).includes(s.metric)) continue;
    const ratio = s.ratioToHost ? `${fmtNum(s.ratioToHost.median)} [${fmtNum(s.ratioToHost.ciLow)}, ${fmtNum(s.ratioToHost.ciHigh)}]` : s.topology === 'host' ? 'baseline' : '-';
    rows.push([
      s.topology,
      s.workload,
      s.path,
      `${s.metric} (${s.unit})`,
      fmtNum(s.median),
      s.ciLow === null ? '-' : `[${fmtNum(s.ciLow)}, ${fmtNum(s.ciHigh)}]`,
      fmtPct(s.cov),
      ratio,
      `${s.n}${s.failed ? ` (${s.failed} failed)` : ''}`,
    ]);
  }
  const order = new Map(results.config.topologies.map((t, i) => [t, i]));
  rows.sort((a, b) => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : a[2]! < b[2]! ? -1 : a[2]! > b[2]! ? 1 : (order.get(a[0]!) ?? 0) - (order.get(b[0]!) ?? 0) || (a[3]! < b[3]! ? -1 : 1)));
  let out = table(['topology', 'workload', 'path', 'metric', 'median', 'CI', 'CoV', 'x host [CI]', 'n'], rows);
  const level = Math.min(...results.summary.filter((s) => s.n > 1).map((s) => s.ciLevel));
  if (Number.isFinite(level) && level < 0.95) out += `note: with ${results.config.trials} trials the median's order-statistic interval covers ${fmtPct(level)}, not 95%; run at least 6 trials for 95%\n`;
  out += tracingTable(results);
  for (const na of results.notApplicable) out += `${na.topology} ${na.path}: ${na.reason}\n`;
  for (const c of results.caveats) out += `caveat: ${c}\n`;
  const failed = results.trials.filter((t) => t.status === 'failed' && !t.warmup);
  if (failed.length) out += `${failed.length} trial(s) failed; first: ${failed[0]!.topology} ${failed[0]!.workload} ${failed[0]!.path}: ${failed[0]!.error}\n`;
  const flagged = results.trials.filter((t) => t.flags.length > 0);
  if (flagged.length) out += `${flagged.length} trial(s) flagged (e.g. ${flagged[0]!.topology} ${flagged[0]!.workload}: ${flagged[0]!.flags[0]})\n`;
  return out;
}

export interface PerformedRun {
  readonly results: Results;
  readonly dir: string;
  readonly reportLine: string;
  readonly wallS: number;
}

/** Resolve, check, lock, run, write the report. Shared by `bench run` and `bench gate --run`. */
export async function performRun(session: Session, flags: RunFlags, command: string): Promise<PerformedRun> {
  const cfg = resolveRunConfig(flags);
  requireRoot();
  requireTools([...neededTools(cfg.topologies), 'iperf3', 'netperf', 'netserver', 'taskset', 'ethtool', ...(cfg.inject?.kind === 'forward-rules' ? (['iptables'] as const) : [])]);
  return session.withLock(command, async () => {
    const io = session.io;
    const started = performance.now();
    const progress: Progress = (e) => {
      if (!io.isTTY) return;
      const line = e.trial
        ? `[${e.done + 1}/${e.total}] ${e.trial.topology} ${e.trial.workload} ${e.trial.path} ${e.trial.warmup ? 'warm-up' : `trial ${e.trial.block + 1}/${cfg.trials}${e.trial.traced ? ' (traced)' : ''}`}, about ${fmtDuration(e.etaS)} left`
        : (e.message ?? '');
      io.err(`\r\x1b[2K${line}`);
    };
    if (io.isTTY) io.err(`run ${cfg.runId}: ${cfg.topologies.length} topologies, ${cfg.workloads.join(' ')} on ${cfg.paths.join(' ')}, ${cfg.trials} trials of ${cfg.durationS}s (seed ${cfg.seed})\n`);
    const tracer = cfg.trace ? new BpftraceTracer(session.runner) : undefined;
    if (tracer && !tracer.available) io.err(`tracing unavailable: ${tracer.reason}; the run goes on untraced\n`);
    const { results, store } = await executeRun(cfg, { runner: session.runner, state: session.state, aborted: () => session.aborted, progress, command, ...(tracer ? { tracer } : {}) });
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

export async function runCommand(session: Session, flags: RunCliFlags): Promise<number> {
  const { results, dir, reportLine, wallS } = await performRun(session, flags, `bench run ${process.argv.slice(3).join(' ')}`.trim());
  const io = session.io;
  if (flags.json) {
    io.out(`${JSON.stringify({ runId: results.runId, status: results.status, results: join(dir, 'results.json'), report: join(dir, 'report.html'), summary: results.summary, notApplicable: results.notApplicable, caveats: results.caveats }, null, 2)}\n`);
  } else {
    io.out(summaryTable(results));
    io.out(`\n${claimSummary(compareAll(results)).text}\n`);
    io.out(`\nrun ${results.runId} ${results.status} in ${fmtDuration(wallS)}; results: ${join(dir, 'results.json')}\n${reportLine}\n`);
  }
  session.throwIfAborted();
  return results.status === 'complete' ? 0 : 1;
}
