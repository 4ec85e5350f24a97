/**
 * A run's account of a busy machine: how many trials were taken while other processes
 * used the CPU or the hypervisor stole it (flagged, re-run and left out of the
 * statistics), which processes were to blame, and the share of CPU time stolen.
 */
import type { OkTrial, TrialRecord } from './types.js';

/** How a trial's `contaminated` reason begins when steal, not a process, was the cause. */
export const STEAL_REASON = 'the hypervisor stole';
/** A process is named as an intruder only above this share of one CPU during a trial (a few percent is the machine's own housekeeping). */
export const NAMED_INTRUDER_SHARE = 0.05;

export interface BusySummary {
  readonly contaminated: number;
  /** of those, the trials flagged because the hypervisor stole CPU time (no process to blame) */
  readonly bySteal: number;
  /** trials taken while other processes used the CPU and counted all the same (--busy keep) */
  readonly kept: number;
  /** the busiest other processes over the trials they disturbed, most CPU first */
  readonly intruders: readonly { readonly command: string; readonly pids: readonly number[]; readonly cpuS: number; readonly trials: number }[];
  /** the share of all CPUs' time the hypervisor stole during the trials; null when not measured */
  readonly stealShare: number | null;
  readonly text: string | null;
}

/** Stolen CPU time over the CPU time the trials spanned (wall time × CPUs). */
export function stealShare(trials: readonly TrialRecord[], cpus: number): number | null {
  let stolen = 0;
  let span = 0;
  for (const t of trials) {
    if (!t.interference) continue;
    stolen += t.interference.stealS;
    span += (t.durationMs / 1000) * cpus;
  }
  return span > 0 ? stolen / span : null;
}

export function busySummary(trials: readonly TrialRecord[], cpus = 1): BusySummary {
  const bad = trials.filter((t): t is OkTrial & { contaminated: string } => t.status === 'ok' && t.contaminated !== undefined);
  const bySteal = bad.filter((t) => t.contaminated.startsWith(STEAL_REASON));
  // trials kept with --busy keep: other processes used the CPU (never steal), and the trial counts
  const kept = trials.filter((t): t is OkTrial & { busy: string } => t.status === 'ok' && t.busy !== undefined);
  const byProcs = [...bad.filter((t) => !t.contaminated.startsWith(STEAL_REASON)), ...kept];
  const by = new Map<string, { command: string; pids: Set<number>; cpuS: number; trials: number }>();
  for (const t of byProcs) {
    for (const i of t.interference?.top ?? []) {
      if (i.cpuS < NAMED_INTRUDER_SHARE * (t.durationMs / 1000)) continue;
      const e = by.get(i.command) ?? { command: i.command, pids: new Set<number>(), cpuS: 0, trials: 0 };
      e.pids.add(i.pid);
      e.cpuS += i.cpuS;
      e.trials++;
      by.set(i.command, e);
    }
  }
  const intruders = [...by.values()].sort((a, b) => b.cpuS - a.cpuS).slice(0, 3).map((e) => ({ command: e.command, pids: [...e.pids], cpuS: e.cpuS, trials: e.trials }));
  const worst = intruders.length ? ` (worst: ${intruders.map((i) => `${i.command} (pid ${i.pids.join(', ')}: ${i.cpuS.toFixed(1)} CPU-s over ${i.trials} trials)`).join('; ')})` : '';
  const share = stealShare(trials, cpus);
  const steal = share !== null ? `. Steal over all trials: ${(share * 100).toFixed(1)}% of the CPU time` : '';
  let text: string | null = null;
  if (kept.length) {
    const flagged = bySteal.length ? `; ${bySteal.length} more because the hypervisor stole CPU time: flagged, re-run (at most twice) and left out` : '';
    text = `${kept.length} trial(s) ran while other processes used the CPU and were kept (--busy keep): their figures include that load${worst}${flagged}${steal}`;
  } else if (bad.length) {
    const parts: string[] = [];
    if (bad.length - bySteal.length) parts.push(`${bad.length - bySteal.length} because other processes used the CPU${worst}`);
    if (bySteal.length) parts.push(`${bySteal.length} because the hypervisor stole CPU time (steal: no process to blame)`);
    text = `${bad.length} trial(s) ran while the machine was busy: flagged, re-run (at most twice) and left out of the statistics; ${parts.join('; ')}${steal}`;
  }
  return { contaminated: bad.length, bySteal: bySteal.length, kept: kept.length, intruders, stealShare: share, text };
}
