/** The run's summary as terminal tables: an exporter beside html and markdown. Pure. */
import { busySummary } from '../results/interference.js';
import { describeIdle } from '../results/idle.js';
import { describeNoise } from '../results/noise.js';
import { failedTrials } from '../results/cell.js';
import type { Overhead, Results, TracingCell } from '../results/types.js';
import { observerName } from '../results/tracing.js';
import { fmtNum, fmtPct } from '../util/format.js';
import { table } from '../util/table.js';
import { isHeadline } from './select.js';

/** The observer's view: one-way stack latency and the tracing overhead, per traced cell; the compiled observer's own cost. */
export function tracingTable(results: Results): string {
  const cells = results.tracing?.cells ?? [];
  if (!cells.length) return '';
  const rows = cells.map((c) => [
    c.topology,
    c.workload,
    c.path,
    String(c.packets),
    fmtNum(c.p50Us),
    fmtNum(c.p99Us),
    fmtNum(c.meanUs),
    fmtNum(c.hopMeanSumUs),
    String(c.hops.filter((h) => h.onPath).length),
    c.overhead ? overheadText(c.overhead) : '-',
  ]);
  return `\nstack latency (${observerName(results.tracing)}, sender interface to receiver interface):\n${table(['topology', 'workload', 'path', 'packets', 'P50 µs', 'P99 µs', 'mean µs', 'sum of hops µs', 'hops', 'traced/untraced [95%] per-packet'], rows)}${observerCostTable(cells)}`;
}

/** The compiled observer's cost per traced cell, from the kernel's own statistics. */
function observerCostTable(cells: readonly TracingCell[]): string {
  const withCost = cells.filter((c) => c.observer);
  if (!withCost.length) return '';
  const rows = withCost.map((c) => {
    const o = c.observer!;
    return [c.topology, c.workload, c.path, String(o.events), fmtNum(o.eventsPerPacket), fmtNum(o.nsPerEvent), fmtNum(o.statsNsPerEvent), fmtNum(o.netNsPerEvent), fmtNum(o.attachNsPerEvent ?? null), fmtPct(o.cpuShare), fmtPct(o.trafficShare ?? null)];
  });
  return `\nthe observer's own cost (the kernel's statistics of its programs, on a tenth of the time; they add two clock reads per event they time, stated and taken off; the dispatch to the programs, which the kernel does not time, measured at start and added):\n${table(['topology', 'workload', 'path', 'events', 'events/packet', 'ns/event', 'of which statistics', 'ns/event net', 'dispatch ns', 'share of CPU', 'share of traffic'], rows)}`;
}

/** "0.97 [0.95, 0.99] measured" or "0.71 [0.66, 0.77] upper bound" */
function overheadText(o: Overhead): string {
  const iv = o.ratioLow !== null && o.ratioHigh !== null ? ` [${fmtNum(o.ratioLow)}, ${fmtNum(o.ratioHigh)}]` : '';
  return `${fmtNum(o.ratio)}${iv} ${o.kind === 'within' ? 'measured' : o.kind === 'bounded' ? `measured (observer ${fmtPct(o.observerShare ?? null)} of traffic)` : 'upper bound'}`;
}

function ratioText(s: Results['summary'][number]): string {
  if (s.ratioToHost) return `${fmtNum(s.ratioToHost.median)} [${fmtNum(s.ratioToHost.ciLow)}, ${fmtNum(s.ratioToHost.ciHigh)}]`;
  return s.topology === 'host' ? 'baseline' : '-';
}

/** Headline metrics per cell, sorted by workload, path and topology (in the run's order). */
export function summaryTable(results: Results): string {
  const order = new Map(results.config.topologies.map((t, i) => [t, i]));
  const rows = results.summary
    .filter(isHeadline)
    .sort((a, b) => a.workload.localeCompare(b.workload) || a.path.localeCompare(b.path) || (order.get(a.topology) ?? 0) - (order.get(b.topology) ?? 0) || a.metric.localeCompare(b.metric))
    .map((s) => [s.topology, s.workload, s.path, `${s.metric} (${s.unit})`, fmtNum(s.median), s.ciLow === null ? '-' : `[${fmtNum(s.ciLow)}, ${fmtNum(s.ciHigh)}]`, fmtPct(s.cov), ratioText(s), `${s.n}${s.failed ? ` (${s.failed} failed)` : ''}`]);
  let out = table(['topology', 'workload', 'path', 'metric', 'median', 'CI', 'CoV', 'x host [CI]', 'n'], rows);
  const level = Math.min(...results.summary.filter((s) => s.n > 1).map((s) => s.ciLevel));
  if (Number.isFinite(level) && level < 0.95) out += `note: where a cell has fewer than 6 trials, the median's order-statistic interval covers ${fmtPct(level)}, not 95%\n`;
  out += tracingTable(results);
  for (const na of results.notApplicable) out += `${na.topology} ${na.path}: ${na.reason}\n`;
  for (const c of results.caveats) out += `caveat: ${c}\n`;
  const failed = failedTrials(results.trials);
  if (failed[0]) out += `${failed.length} trial(s) failed; first: ${failed[0].topology} ${failed[0].workload} ${failed[0].path}: ${failed[0].error}\n`;
  const flagged = results.trials.filter((t) => t.flags.length > 0);
  if (flagged[0]) out += `${flagged.length} trial(s) flagged (e.g. ${flagged[0].topology} ${flagged[0].workload}: ${flagged[0].flags[0]})\n`;
  const busy = busySummary(results.trials, results.environment.cpuCount);
  if (busy.text) out += `${busy.text}\n`;
  else if (busy.stealShare !== null) out += `steal: the hypervisor took ${fmtPct(busy.stealShare)} of the CPU time during the trials\n`;
  out += `${describeIdle(results.environment.idle)}\n`;
  const noise = describeNoise(results.environment.noise);
  if (noise) out += `${noise}\n`;
  return out;
}
