/**
 * Processes are identified by pid *and* start time, so that a recycled pid is never
 * signalled: netbench ends only processes it started.
 */
import { readFileSync } from 'node:fs';
import { delay } from '../util/delay.js';

export interface ProcessControl {
  /** the kernel's start time of pid (field 22 of /proc/pid/stat), or undefined when gone */
  startTime(pid: number): string | undefined;
  comm(pid: number): string | undefined;
  /** the process's argv, or undefined when gone */
  cmdline(pid: number): string[] | undefined;
  kill(pid: number, signal: NodeJS.Signals): void;
}

export const procfs: ProcessControl = {
  startTime(pid) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // comm may contain spaces and parentheses: split after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = rest[0];
      if (state === 'Z' || state === 'X') return undefined; // a zombie is already dead
      return rest[19];
    } catch {
      return undefined;
    }
  },
  comm(pid) {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return undefined;
    }
  },
  cmdline(pid) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      return undefined;
    }
  },
  kill(pid, signal) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  },
};

/**
 * SIGINT, SIGTERM, SIGKILL, each given `graceMs` to work. Returns true when the process
 * is gone (or was never ours: start time differs).
 */
export async function stopProcess(pid: number, startTime: string | undefined, ctl: ProcessControl = procfs, graceMs = 1000): Promise<boolean> {
  const isOurs = () => {
    const st = ctl.startTime(pid);
    return st !== undefined && (startTime === undefined || st === startTime);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    if (!isOurs()) return true;
    ctl.kill(pid, sig);
    const until = Date.now() + graceMs;
    while (Date.now() < until) {
      if (!isOurs()) return true;
      await delay(20);
    }
  }
  return !isOurs();
}

/** The pid a daemon's pidfile names: a whole number above 1 (Number() ignores the newline), or undefined for anything else or no file. */
export function readPidFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8'));
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}
