/**
 * Tracing a trial with bpftrace: the sampler starts before the traffic, is confirmed
 * attached (its BEGIN line) before the client starts, and is stopped (SIGINT, which
 * makes bpftrace print its maps) after the client ends. Raw output is kept; a sampler
 * that cannot attach is a recorded reason, never a hung run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { delay } from '../util/delay.js';
import { type BackgroundProcess, type CommandResult, lastLines, type Runner } from '../exec/runner.js';
import { Ledger } from '../lab/ledger.js';
import { procfs } from '../lab/processes.js';
import { BENCH_DIR } from '../locations.js';
import type { RunStore } from '../results/store.js';
import type { Cell, Results } from '../results/types.js';
import { resolveRoute } from '../topology/routes.js';
import { findOnPath } from '../tools.js';
import type { BuiltTopology } from '../topology/build.js';
import { aggregateTracing, type TrialTrace } from './aggregate.js';
import { parseBpftrace } from './parse.js';

export const STACK_PROGRAM = join(BENCH_DIR, 'trace', 'stack-latency.bt');
const TRACEPOINT_DIR = '/sys/kernel/tracing/events/net';

/** Why tracing cannot run here, or undefined when it can. */
export function tracingUnavailable(): string | undefined {
  if (!findOnPath('bpftrace')) return 'bpftrace is not installed (scripts/setup.sh installs it)';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'the kernel has no BTF (/sys/kernel/btf/vmlinux): packet headers cannot be read';
  if (!existsSync(join(TRACEPOINT_DIR, 'net_dev_queue'))) return 'tracefs is not mounted at /sys/kernel/tracing (scripts/setup.sh mounts it: mount -t tracefs nodev /sys/kernel/tracing)';
  return undefined;
}

/** One packet in N is followed; UDP at an unlimited rate would cost too much otherwise. */
export function sampleFor(workload: string): number {
  return workload === 'udp-pps' ? 8 : 1;
}

/** Wraps one trial's client run (tracing attaches around it); must call `run`. */
export type AroundClient = (run: () => Promise<CommandResult>) => Promise<CommandResult>;

/** What a run needs from an observer: whether it can trace, a wrapper per traced trial, and a fold into results. */
export interface Tracer {
  readonly available: boolean;
  readonly reason: string | null;
  /** a wrapper for one trial's client run, or undefined to run it untraced */
  forTrial(built: BuiltTopology, trial: Cell & { readonly index: number }, store: RunStore): AroundClient | undefined;
  /** fold the tracing data into results at the end */
  finish(results: Results): Results;
}

export interface BpftraceTracerOptions {
  readonly program?: string;
  readonly readyTimeoutMs?: number;
}

export function bpftraceArgs(program: string, prefix: string, sender: string, receiver: string, sample: number): string[] {
  return ['-f', 'json', program, prefix, sender, receiver, String(sample), String(prefix.length)];
}

/** Start bpftrace and wait for its BEGIN line; on failure, stop it and say why. */
export async function startSampler(runner: Runner, args: string[], readyTimeoutMs: number): Promise<{ proc: BackgroundProcess } | { error: string; proc?: BackgroundProcess }> {
  let proc: BackgroundProcess;
  try {
    proc = await runner.start({ program: 'bpftrace', args, timeoutMs: 30 * 60_000, env: { BPFTRACE_MAP_KEYS_MAX: '65536' } });
  } catch (err) {
    return { error: `bpftrace could not start: ${errorMessage(err)}` };
  }
  let exited: CommandResult | undefined;
  void proc.exited.then((r) => (exited = r));
  const until = Date.now() + readyTimeoutMs;
  while (Date.now() < until && exited === undefined) {
    if (proc.output().includes('netbench-tracing-ready')) return { proc };
    await delay(20);
  }
  const r = exited ?? (await proc.stop(500));
  const why = lastLines(r.stderr.split('\n').filter((l) => !/RLIMIT_MEMLOCK/.test(l)).join('\n'), 3) || `not attached within ${readyTimeoutMs} ms`;
  return { error: `bpftrace did not attach: ${why}`, proc };
}

export class BpftraceTracer implements Tracer {
  readonly available: boolean;
  readonly reason: string | null;
  private readonly traces: TrialTrace[] = [];
  private readonly program: string;
  private readonly readyTimeoutMs: number;

  constructor(
    private readonly runner: Runner,
    opts: BpftraceTracerOptions = {},
  ) {
    const why = tracingUnavailable();
    this.available = why === undefined;
    this.reason = why ?? null;
    this.program = opts.program ?? STACK_PROGRAM;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  }

  forTrial(built: BuiltTopology, trial: Cell & { readonly index: number }, store: RunStore): AroundClient | undefined {
    const res = resolveRoute(built.spec, built, trial.path);
    if (!res.ok) return undefined;
    const sender = res.plan.client.ifname;
    const receiver = res.plan.server.ifname;
    const prefix = sender.split('-')[0]!;
    const roles = Object.fromEntries(built.interfaces.map((i) => [i.name, i.role]));
    const base = { index: trial.index, topology: built.spec.name, workload: trial.workload, path: trial.path, sender, receiver, roles, sample: sampleFor(trial.workload) };
    return async (run: () => Promise<CommandResult>): Promise<CommandResult> => {
      const args = bpftraceArgs(this.program, prefix, sender, receiver, base.sample);
      const started = await startSampler(this.runner, args, this.readyTimeoutMs);
      if ('error' in started) {
        this.traces.push({ ...base, error: started.error, raw: null });
        return run();
      }
      Ledger.open(built.ledgerPath).append({ kind: 'process', label: 'bpftrace', pid: started.proc.pid, startTime: procfs.startTime(started.proc.pid) ?? '' });
      let result: CommandResult;
      try {
        result = await run();
      } finally {
        const out = await started.proc.stop(15_000);
        const raw = store.writeRaw(`${String(trial.index).padStart(4, '0')}-${built.spec.name}-${trial.workload}-${trial.path}.bpftrace.json`, out.stdout);
        const data = parseBpftrace(out.stdout);
        this.traces.push({ ...base, raw, data, ...(data.e2e.length === 0 ? { error: `no packet was followed end to end (${lastLines(out.stderr, 2) || 'no error from bpftrace'})` } : {}) });
      }
      return result;
    };
  }

  finish(results: Results): Results {
    return aggregateTracing(results, this.traces, { program: this.program, available: this.available, reason: this.reason });
  }
}
