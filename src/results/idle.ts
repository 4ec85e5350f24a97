/**
 * A run's CPU idle regime in words, and whether two runs share one: request/response
 * figures measured with the CPUs held out of idle sleep and without are different
 * quantities (docs/methodology.md, "CPU idle states"), so the gate refuses to mix them.
 */
import type { IdleEnv, IdleRegime } from './types.js';

/** "held 0 µs" or "none": what the gate compares (a run from before it was recorded held none). */
export function requestText(idle: IdleEnv | undefined): string {
  if (!idle) return 'no CPU-latency request (not recorded: runs then held none)';
  return idle.requestUs === null ? 'no CPU-latency request' : `a ${idle.requestUs} µs CPU-latency request held`;
}

/** "cpuidle driver haltpoll, governor haltpoll; idle states POLL 0 µs, C1 2 µs" */
export function regimeText(r: IdleRegime): string {
  const states = r.states.length ? `idle states ${r.states.map((s) => `${s.name} ${s.exitLatencyUs} µs${s.disabled ? ' (disabled)' : ''}`).join(', ')}` : 'no idle states listed';
  return `cpuidle driver ${r.driver ?? 'none'}, governor ${r.governor ?? 'none'}; ${states}`;
}

/** One line for a report header: the request, the driver and governor, the states and their exit latencies. */
export function describeIdle(idle: IdleEnv | undefined): string {
  if (!idle) return 'CPU idle: not recorded (runs from before it was recorded held no CPU-latency request)';
  const held = idle.requestUs === null ? 'CPUs free to sleep between packets (no CPU-latency request)' : `CPUs held out of idle sleep (a ${idle.requestUs} µs CPU-latency request for the whole run)`;
  return `CPU idle: ${held}; ${regimeText(idle)}${idle.note ? `. ${idle.note[0]!.toUpperCase()}${idle.note.slice(1)}` : ''}`;
}

/** Why two runs' idle regimes differ, or undefined when they are the same for comparing figures. */
export function idleDifference(a: IdleEnv | undefined, b: IdleEnv | undefined): string | undefined {
  const ra = requestText(a);
  const rb = requestText(b);
  if ((a?.requestUs ?? null) !== (b?.requestUs ?? null)) return `CPU idle regimes differ (baseline: ${ra}; current: ${rb})`;
  if (a && b && a.driver !== b.driver) return `CPU idle drivers differ (${a.driver ?? 'none'} vs ${b.driver ?? 'none'})`;
  return undefined;
}
