/**
 * The CPUs' idle regime, and the CPU-latency request a run holds while it measures.
 *
 * A virtual CPU that sleeps between packets costs every request/response transaction a
 * wake-up (about 100 µs of hypervisor time on a haltpoll guest): that cost is the same
 * for every topology, so it dilutes every ratio. The kernel's PM QoS interface keeps the
 * CPUs out of deep idle states for as long as a process holds /dev/cpu_dma_latency open
 * with a value written; closing the file ends the request, and the kernel closes it when
 * the process dies, SIGKILL included, so nothing outlives the run. docs/methodology.md
 * ("CPU idle states") has the figures.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { errnoCode, errorMessage } from '../errors.js';
import type { BackgroundProcess, Runner } from '../exec/runner.js';
import type { IdleRegime, IdleState } from '../results/types.js';

export const CPU_LATENCY_DEVICE = '/dev/cpu_dma_latency';
/** what reading the device gives when nobody holds a request */
export const NO_REQUEST = 2_000_000_000;

/**
 * Prints the cpuidle driver, governor and CPU 0's idle states, one per line, from sysfs
 * (`$1`, by default the machine's /sys/devices/system/cpu); the same script runs here
 * and, over ssh, on the peer machine (parsed by parseIdleRegime).
 */
export const IDLE_SCRIPT = [
  'c=${1:-/sys/devices/system/cpu}; d=$c/cpuidle',
  '[ -r $d/current_driver ] && echo "driver $(cat $d/current_driver)"',
  '[ -r $d/current_governor_ro ] && echo "governor $(cat $d/current_governor_ro)"',
  '[ -r $d/current_governor ] && echo "governor $(cat $d/current_governor)"',
  'for s in $c/cpu0/cpuidle/state*; do',
  '  [ -r $s/name ] && echo "state $(cat $s/latency) $(cat $s/disable 2>/dev/null || echo 0) $(cat $s/name)"',
  'done',
  'exit 0',
].join('\n');

export function parseIdleRegime(stdout: string): IdleRegime {
  let driver: string | null = null;
  let governor: string | null = null;
  const states: IdleState[] = [];
  for (const line of stdout.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'driver' && rest[0]) driver = rest[0];
    else if (key === 'governor' && rest[0] && governor === null) governor = rest[0];
    else if (key === 'state' && rest.length >= 3) {
      // "state <exit latency µs> <disabled 0|1> <name, which may hold spaces>"
      const exitLatencyUs = Number(rest[0]);
      if (Number.isFinite(exitLatencyUs)) states.push({ name: rest.slice(2).join(' '), exitLatencyUs, disabled: rest[1] === '1' });
    }
  }
  return { driver, governor, states };
}

/** The idle regime of the machine a runner runs on (this one, or the peer over ssh); `cpuDir` stands in for its sysfs CPU directory. */
export async function readIdleRegime(runner: Runner, cpuDir?: string): Promise<IdleRegime> {
  const r = await runner.run({ program: 'sh', args: ['-c', IDLE_SCRIPT, ...(cpuDir !== undefined ? ['sh', cpuDir] : [])], timeoutMs: 10_000 });
  return parseIdleRegime(r.exitCode === 0 ? r.stdout : '');
}

/**
 * What a CPU-latency request can change under this regime, in words, or null when it
 * keeps the CPUs out of idle states that cost a wake-up.
 */
export function holdHasNoEffect(regime: IdleRegime): string | null {
  if (regime.driver === null || regime.driver === 'none') return 'no cpuidle driver: idle CPUs halt whatever the request, so holding it changes nothing here';
  const deep = regime.states.filter((s) => s.exitLatencyUs > 0 && !s.disabled);
  if (deep.length === 0) return `cpuidle driver ${regime.driver} offers no state with an exit latency: nothing for the request to hold back`;
  return null;
}

/** The request as the kernel aggregates it (the strictest held by anyone), in µs; null when the device cannot be read. */
export function currentRequestUs(path = CPU_LATENCY_DEVICE): number | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    // the kernel's s32, in this machine's byte order
    const value = new Int32Array(1);
    if (readSync(fd, value, 0, 4, null) !== 4) return null;
    return value[0]!;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface CpuLatencyHold {
  /** the value held, in µs; null when no request could be held */
  readonly valueUs: number | null;
  /** why none is held (the device could not be opened or written), null when it is */
  readonly reason: string | null;
  /** end the request (idempotent); the kernel also ends it when this process dies */
  release(): void;
}

/**
 * Open the device and write the value as a 32-bit integer, keeping the file open until
 * release(). Never throws: a machine that refuses the request is measured without it.
 */
export function holdCpuLatency(valueUs = 0, path = CPU_LATENCY_DEVICE): CpuLatencyHold {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'w');
    // the kernel's s32, in this machine's byte order
    if (writeSync(fd, new Int32Array([valueUs])) !== 4) throw new Error('short write');
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    return { valueUs: null, reason: `${path} could not be held (${errnoCode(err) ?? errorMessage(err)})`, release: () => undefined };
  }
  let open = true;
  return {
    valueUs,
    reason: null,
    release: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/**
 * The same request on the peer machine of a real-host run: a shell there opens the device,
 * writes the value, says "held", and keeps the file open. It writes a newline every few
 * seconds, so that it dies of SIGPIPE once the ssh channel is gone (this machine's process
 * killed); the remote timeout bounds it besides. The caller puts it in a ledger and stops it.
 */
export const PEER_HOLD_SCRIPT = 'exec 3>"$1" || exit 3; printf "%s" "$2" >&3 || exit 3; echo held; while :; do sleep 5; echo; done';

export async function holdOnPeer(remote: Runner, valueUs: number, timeoutMs: number, device = CPU_LATENCY_DEVICE, waitMs = 10_000): Promise<{ proc: BackgroundProcess | undefined; hold: Omit<CpuLatencyHold, 'release'> }> {
  let proc: BackgroundProcess;
  try {
    proc = await remote.start({ program: 'sh', args: ['-c', PEER_HOLD_SCRIPT, 'sh', device, String(valueUs)], timeoutMs });
  } catch (err) {
    return { proc: undefined, hold: { valueUs: null, reason: `on the peer, the request could not be held: ${errorMessage(err)}` } };
  }
  const until = Date.now() + waitMs;
  let ended = false;
  void proc.exited.then(() => (ended = true));
  while (Date.now() < until && !ended && !proc.output().includes('held')) await new Promise((r) => setTimeout(r, 20));
  if (proc.output().includes('held')) return { proc, hold: { valueUs, reason: null } };
  // a shell that had not answered by then is stopped, and what it says as it dies is not why
  if (!ended) {
    await proc.stop(500);
    return { proc: undefined, hold: { valueUs: null, reason: `on the peer, ${device} could not be held (no answer within ${waitMs / 1000} s)` } };
  }
  const r = await proc.exited;
  const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.exitCode}`;
  return { proc: undefined, hold: { valueUs: null, reason: `on the peer, ${device} could not be held (${why})` } };
}
