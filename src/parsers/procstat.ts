/**
 * CPU time from /proc/stat, machine-wide: every namespace's softirq and forwarding work
 * lands here, which is what a topology costs. USER_HZ is 100 on Linux.
 */
export interface CpuSnapshot {
  readonly busy: number; // jiffies
  readonly total: number;
}

export const USER_HZ = 100;

export function parseProcStat(text: string): CpuSnapshot {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** CPU-seconds spent between two snapshots (all CPUs together). */
export function busySeconds(a: CpuSnapshot, b: CpuSnapshot): number {
  return (b.busy - a.busy) / USER_HZ;
}
