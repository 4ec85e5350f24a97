/**
 * A run's account of a busy machine: how many trials were taken while other processes
 * used the CPU (flagged, re-run and left out of the statistics), and the worst intruders.
 */
import type { OkTrial, TrialRecord } from './types.js';

export interface BusySummary {
  readonly contaminated: number;
  /** the busiest other processes over the contaminated trials, most CPU first */
  readonly intruders: readonly { readonly command: string; readonly pids: readonly number[]; readonly cpuS: number; readonly trials: number }[];
  readonly text: string | null;
}

export function busySummary(trials: readonly TrialRecord[]): BusySummary {
  const bad = trials.filter((t): t is OkTrial & { contaminated: string } => t.status === 'ok' && t.contaminated !== undefined);
  const by = new Map<string, { command: string; pids: Set<number>; cpuS: number; trials: number }>();
  for (const t of bad) {
    for (const i of t.interference?.top ?? []) {
      const e = by.get(i.command) ?? { command: i.command, pids: new Set<number>(), cpuS: 0, trials: 0 };
      e.pids.add(i.pid);
      e.cpuS += i.cpuS;
      e.trials++;
      by.set(i.command, e);
    }
  }
  const intruders = [...by.values()].sort((a, b) => b.cpuS - a.cpuS).slice(0, 3).map((e) => ({ command: e.command, pids: [...e.pids], cpuS: e.cpuS, trials: e.trials }));
  const names = intruders.map((i) => `${i.command} (pid ${i.pids.join(', ')}: ${i.cpuS.toFixed(1)} CPU-s over ${i.trials} trials)`).join('; ');
  const text = bad.length ? `${bad.length} trial(s) ran while the machine was busy: flagged, re-run (at most twice) and left out of the statistics. Worst intruders: ${names || 'steal time, no process'}` : null;
  return { contaminated: bad.length, intruders, text };
}
