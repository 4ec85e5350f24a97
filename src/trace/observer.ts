/**
 * The observer's own cost, per traced cell, from the kernel's statistics of the compiled
 * programs (run count and run time, held on by the loader through bpf_enable_stats):
 * measured in the kernel, apart from the traffic's noise. The statistics themselves add
 * two reads of the kernel clock to every event; the loader measures one read, and that
 * cost is stated beside the figure and taken off it. Pure.
 */
import type { ObserverCost, TrialRecord } from '../results/types.js';
import type { TraceData } from './parse.js';

interface Traced {
  readonly index: number;
  readonly sample: number;
  readonly data?: TraceData;
}

/** The cell's observer cost over its traced trials; null when no trial carried the kernel's statistics. */
export function observerCost(traces: readonly Traced[], trials: readonly TrialRecord[], delivered: number): ObserverCost | null {
  const withStats = traces.filter((t) => t.data?.observer?.stats === true && t.data.observer.programs.length > 0);
  if (withStats.length === 0) return null;
  const byName = new Map<string, { events: number; runTimeNs: number }>();
  for (const t of withStats) {
    for (const p of t.data!.observer!.programs) {
      const cur = byName.get(p.name) ?? { events: 0, runTimeNs: 0 };
      byName.set(p.name, { events: cur.events + p.runCnt, runTimeNs: cur.runTimeNs + p.runTimeNs });
    }
  }
  const events = [...byName.values()].reduce((s, p) => s + p.events, 0);
  const runTimeNs = [...byName.values()].reduce((s, p) => s + p.runTimeNs, 0);
  const clocks = withStats.flatMap((t) => (t.data!.observer!.clockReadNs !== null ? [t.data!.observer!.clockReadNs] : []));
  const statsNsPerEvent = clocks.length ? 2 * Math.min(...clocks) : null;
  const indices = new Set(withStats.map((t) => t.index));
  const cpuS = trials.filter((t) => indices.has(t.index)).reduce((s, t) => s + (t.metrics['cpu_busy_s']?.value ?? 0), 0);
  const nsPerEvent = events > 0 ? runTimeNs / events : null;
  const sample = withStats[0]!.sample;
  return {
    trials: withStats.length,
    events,
    runTimeNs,
    nsPerEvent,
    statsNsPerEvent,
    netNsPerEvent: nsPerEvent !== null && statsNsPerEvent !== null ? Math.max(0, nsPerEvent - statsNsPerEvent) : null,
    eventsPerPacket: delivered > 0 ? events / (delivered * sample) : null,
    cpuShare: cpuS > 0 ? runTimeNs / 1e9 / cpuS : null,
    programs: [...byName].map(([name, p]) => ({ name, events: p.events, nsPerEvent: p.events > 0 ? p.runTimeNs / p.events : null })),
  };
}
