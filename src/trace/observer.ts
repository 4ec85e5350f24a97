/**
 * The observer's own cost, per traced cell, from the kernel's statistics of the compiled
 * programs: measured in the kernel, apart from the traffic's noise. The loader holds the
 * statistics on for a tenth of the time (a sample of the events: loader.c), and the
 * programs count every event themselves. The statistics add two reads of the kernel
 * clock to every event they time; the loader measures one read, and that cost is stated
 * beside the figure and taken off it. Pure.
 *
 * The kernel times only the program's own run. Reaching it from the tracepoint (the
 * call into BPF, the recursion guard, the RCU section) is a cost of every event that
 * the statistics cannot see; the loader measures it at start (the empty program on
 * task_rename against none: loader.c, attach_ns), and it is added here. On the reference
 * machine it is larger than the program's own run (docs/methodology.md, "Tracing").
 */
import type { ObserverCost, TrialRecord } from '../results/types.js';
import type { ProgramStats, TraceData } from './parse.js';
import { median } from '../stats/summary.js';

interface Traced {
  readonly index: number;
  readonly sample: number;
  readonly data?: TraceData;
}

/** A program's events: as it counted them, or (the attached-only variant counts nothing) the timed ones over the share of time they were timed. */
function eventsOf(p: ProgramStats, share: number): number {
  if (p.events > 0 || p.runCnt === 0) return p.events;
  return share > 0 ? Math.round(p.runCnt / share) : 0;
}

/**
 * The dispatch's cost for a whole run: the median of what its loaders measured at their
 * start. It is the same mechanism for every cell, and one loader's figure moves by ±15%
 * from start to start on the reference machine; null when none measured it.
 */
export function runAttachNs(traces: readonly Traced[]): number | null {
  const xs = traces.flatMap((t) => (t.data?.observer?.attachNs != null ? [t.data.observer.attachNs] : []));
  return xs.length ? median(xs) : null;
}

/** The cell's observer cost over its traced trials; null when no trial carried the kernel's statistics. `attachNs`: the run's dispatch cost (runAttachNs), else the cell's own loaders'. */
export function observerCost(traces: readonly Traced[], trials: readonly TrialRecord[], delivered: number, durationS: number | null = null, attachNs: number | null = null): ObserverCost | null {
  const withStats = traces.filter((t) => t.data?.observer?.stats === true && t.data.observer.programs.length > 0);
  if (withStats.length === 0) return null;
  const byName = new Map<string, { events: number; runCnt: number; runTimeNs: number }>();
  for (const t of withStats) {
    const o = t.data!.observer!;
    for (const p of o.programs) {
      const cur = byName.get(p.name) ?? { events: 0, runCnt: 0, runTimeNs: 0 };
      byName.set(p.name, { events: cur.events + eventsOf(p, o.statsShare), runCnt: cur.runCnt + p.runCnt, runTimeNs: cur.runTimeNs + p.runTimeNs });
    }
  }
  const sum = (f: (p: { events: number; runCnt: number; runTimeNs: number }) => number) => [...byName.values()].reduce((s, p) => s + f(p), 0);
  const events = sum((p) => p.events);
  const sampledEvents = sum((p) => p.runCnt);
  const nsPerEvent = sampledEvents > 0 ? sum((p) => p.runTimeNs) / sampledEvents : null;
  const clocks = withStats.flatMap((t) => (t.data!.observer!.clockReadNs !== null ? [t.data!.observer!.clockReadNs] : []));
  const statsNsPerEvent = clocks.length ? 2 * Math.min(...clocks) : null;
  const netNsPerEvent = nsPerEvent !== null && statsNsPerEvent !== null ? Math.max(0, nsPerEvent - statsNsPerEvent) : null;
  const attachNsPerEvent = attachNs ?? runAttachNs(withStats);
  // what the observer cost the trials: every event at its net cost and its dispatch, and the statistics on the events they timed
  const programNs = nsPerEvent === null ? 0 : netNsPerEvent !== null ? events * netNsPerEvent + sampledEvents * statsNsPerEvent! : events * nsPerEvent;
  const spentNs = programNs + events * (attachNsPerEvent ?? 0);
  const indices = new Set(withStats.map((t) => t.index));
  const cpuS = trials.filter((t) => indices.has(t.index)).reduce((s, t) => s + (t.metrics['cpu_busy_s']?.value ?? 0), 0);
  const shares = withStats.map((t) => t.data!.observer!.statsShare);
  return {
    trials: withStats.length,
    events,
    sampledEvents,
    statsShare: shares.reduce((s, x) => s + x, 0) / shares.length,
    nsPerEvent,
    statsNsPerEvent,
    netNsPerEvent,
    eventsPerPacket: delivered > 0 ? events / (delivered * withStats[0]!.sample) : null,
    attachNsPerEvent,
    cpuShare: cpuS > 0 && nsPerEvent !== null ? spentNs / 1e9 / cpuS : null,
    // the observer's time against the traffic's: were all of it on the traffic's critical path, the traffic would be this much slower
    trafficShare: durationS !== null && durationS > 0 && nsPerEvent !== null && attachNsPerEvent !== null ? spentNs / 1e9 / (withStats.length * durationS) : null,
    programs: [...byName].map(([name, p]) => ({ name, events: p.events, nsPerEvent: p.runCnt > 0 ? p.runTimeNs / p.runCnt : null })),
  };
}
