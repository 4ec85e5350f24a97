/**
 * Is the machine busy? Read from /proc without privileges: CPU time of every process that
 * is not the suite's (its own process tree, and the daemons its ledgers name), steal
 * time, and pressure stall information (time some task waited for a CPU). Used around
 * every trial (a busy trial is flagged, re-run and left out) and as a quiet check before
 * measuring and in `bench doctor`. docs/methodology.md gives the thresholds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Interference, Intruder } from '../results/types.js';
import { NAMED_INTRUDER_SHARE, STEAL_REASON } from '../results/interference.js';
import { delay } from '../util/delay.js';

/** Share of one CPU that other processes may use during a trial before it is flagged. */
export const OTHER_CPU_LIMIT = 0.1;
/**
 * Share of the machine's CPU time that the hypervisor may steal before a trial is
 * flagged: steal is measured noise, not an intruder (every CI runner is a VM), and a
 * comparison's two sides run back to back, so both see it; only a trial of which less
 * than half was clean is left out.
 */
export const STEAL_LIMIT = 0.5;

const TICK_S = 0.01; // USER_HZ is 100 on Linux

interface ProcEntry {
  readonly ppid: number;
  readonly ticks: number;
  readonly start: string;
  readonly command: string;
  readonly kernel: boolean;
  /** the CPU it last ran on */
  readonly cpu: number;
}

export interface ProcSample {
  readonly atMs: number;
  readonly procs: ReadonlyMap<number, ProcEntry>;
  readonly stealTicks: number;
  readonly cpuWaitUs: number | null;
  readonly cpus: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function procEntry(pid: number): ProcEntry | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const close = stat.lastIndexOf(')');
  const f = stat.slice(close + 2).split(' ');
  // after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... starttime(20)
  const ppid = Number(f[1]);
  const flags = Number(f[6]);
  const cmdline = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  return { ppid, ticks: Number(f[11]) + Number(f[12]), start: f[19] ?? '', command: (cmdline || `[${comm}]`).slice(0, 120), kernel: pid === 2 || ppid === 2 || (flags & 0x00200000) !== 0, cpu: Number(f[36]) };
}

export function sampleProcs(): ProcSample {
  const procs = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const e = procEntry(Number(name));
    if (e) procs.set(Number(name), e);
  }
  const stat = readText('/proc/stat') ?? '';
  const cpu = stat.split('\n')[0]?.trim().split(/\s+/) ?? [];
  const psi = /some .*total=(\d+)/.exec(readText('/proc/pressure/cpu') ?? '');
  const cpus = stat.split('\n').filter((l) => /^cpu\d+ /.test(l)).length;
  return { atMs: performance.now(), procs, stealTicks: Number(cpu[8] ?? 0), cpuWaitUs: psi ? Number(psi[1]) : null, cpus };
}

/** The suite's processes: this process, its descendants, and the given daemons (with theirs). */
function suiteProcs(s: ProcSample, daemons: ReadonlySet<number>): Set<number> {
  const ours = new Set<number>([process.pid, ...daemons]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, e] of s.procs) {
      if (!ours.has(pid) && ours.has(e.ppid)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  return ours;
}

/** What others did between two samples. */
export function interferenceBetween(a: ProcSample, b: ProcSample, daemons: ReadonlySet<number> = new Set()): Interference {
  const ours = suiteProcs(b, daemons);
  const intruders: Intruder[] = [];
  for (const [pid, e] of b.procs) {
    if (e.kernel || ours.has(pid)) continue;
    const before = a.procs.get(pid);
    const ticks = before && before.start === e.start ? e.ticks - before.ticks : e.ticks;
    if (ticks > 0) intruders.push({ pid, command: e.command, cpuS: ticks * TICK_S });
  }
  intruders.sort((x, y) => y.cpuS - x.cpuS);
  const waitS = a.cpuWaitUs !== null && b.cpuWaitUs !== null ? (b.cpuWaitUs - a.cpuWaitUs) / 1e6 : null;
  return { otherCpuS: intruders.reduce((s, i) => s + i.cpuS, 0), stealS: Math.max(0, b.stealTicks - a.stealTicks) * TICK_S, waitS, top: intruders.slice(0, 3) };
}

/**
 * Why the machine was too busy for a measurement over `wallS` seconds, or undefined when
 * it was quiet enough. CPU pressure (waitS) is recorded but does not flag a trial: it
 * cannot tell whose tasks waited, and the suite's own contend too (udp-pps through the
 * userspace OVS datapath reaches 37-39% with nothing else running).
 */
export function busyReason(i: Interference, wallS: number, cpus: number): string | undefined {
  const top = i.top[0];
  const share = (x: number) => `${Math.round((x / wallS) * 100)}%`;
  if (i.otherCpuS > OTHER_CPU_LIMIT * wallS && top) {
    // a process at a few percent is housekeeping (the VM's init, an agent), not the cause: name none then
    const named = top.cpuS >= NAMED_INTRUDER_SHARE * wallS ? `the busiest: pid ${top.pid} ${top.command} (${share(top.cpuS)})` : `none above ${NAMED_INTRUDER_SHARE * 100}% on its own`;
    return `other processes used ${share(i.otherCpuS)} of a CPU; ${named}`;
  }
  if (i.stealS > STEAL_LIMIT * wallS * Math.max(1, cpus)) return `${STEAL_REASON} ${share(i.stealS)} of a CPU`;
  return undefined;
}

/** Watch the machine for `ms` with nothing of the suite running; a warning when it is busy. */
export async function quietCheck(ms = 2000, daemons: ReadonlySet<number> = new Set(), sample: () => ProcSample = sampleProcs): Promise<{ warning: string | undefined; interference: Interference }> {
  const a = sample();
  await delay(ms);
  const b = sample();
  const i = interferenceBetween(a, b, daemons);
  const s = (b.atMs - a.atMs) / 1000;
  const top = i.top[0];
  let warning: string | undefined;
  const cpu = top ? b.procs.get(top.pid)?.cpu : undefined;
  if (top && top.cpuS > OTHER_CPU_LIMIT * s) warning = `the machine is busy: another process used ${Math.round((top.cpuS / s) * 100)}% of ${cpu !== undefined && Number.isFinite(cpu) ? `CPU ${cpu}` : 'a CPU'} during ${s.toFixed(1)} s: pid ${top.pid} ${top.command}`;
  else if (i.stealS > STEAL_LIMIT * s * b.cpus) warning = `the machine is busy: the hypervisor stole ${Math.round((i.stealS / s) * 100)}% of a CPU during ${s.toFixed(1)} s`;
  return { warning, interference: i };
}
