/**
 * Tracing trials with bpftrace: the sampler starts before the traffic and is confirmed
 * attached (its BEGIN line) before the client starts. It stays attached across the
 * traced trials of one topology and path that run in a row, so its start-up (seconds)
 * is paid once: around each trial the suite asks it to print and clear its maps, which
 * splits the data per trial. It is stopped before any untraced trial. Raw output is
 * kept; a sampler that cannot attach is a recorded reason, never a hung run.
 */
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
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
  /** stop any sampler left attached: before an untraced trial, and when the run ends */
  release(): Promise<void>;
  /** fold the tracing data into results at the end */
  finish(results: Results): Results;
}

export interface BpftraceTracerOptions {
  readonly program?: string;
  readonly readyTimeoutMs?: number;
}

/** The sampler's arguments; the last is this process's id, whose getpriority(2) calls split the data between trials. */
export function bpftraceArgs(program: string, prefix: string, sender: string, receiver: string, sample: number): string[] {
  return ['-f', 'json', program, prefix, sender, receiver, String(sample), String(prefix.length), String(process.pid)];
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

interface Session {
  readonly key: string;
  readonly proc: BackgroundProcess;
  /** how much of its output earlier trials took */
  consumed: number;
  splits: number;
  /** false once the sampler has exited (a crash): the next trial starts a new one */
  alive: boolean;
}

const SPLIT = 'netbench-split';

export class BpftraceTracer implements Tracer {
  readonly available: boolean;
  readonly reason: string | null;
  private readonly traces: TrialTrace[] = [];
  private readonly program: string;
  private readonly readyTimeoutMs: number;
  private session: Session | undefined;

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
    const args = bpftraceArgs(this.program, prefix, sender, receiver, base.sample);
    return async (run: () => Promise<CommandResult>): Promise<CommandResult> => {
      const s = await this.open(args, built);
      if ('error' in s) {
        this.traces.push({ ...base, error: s.error, raw: null });
        return run();
      }
      // whatever the sampler saw before this trial's client starts is not this trial's
      await this.split(s);
      let result: CommandResult;
      try {
        result = await run();
      } finally {
        const segment = await this.split(s);
        const raw = store.writeRaw(`${String(trial.index).padStart(4, '0')}-${built.spec.name}-${trial.workload}-${trial.path}.bpftrace.json`, segment.text);
        const data = parseBpftrace(segment.text);
        const why = segment.ok ? 'the sampler answered; no packet of the trial reached the receiver' : s.alive ? 'the sampler did not answer the split within 5 s' : 'the sampler exited during the trial';
        this.traces.push({ ...base, raw, data, ...(data.e2e.length === 0 ? { error: `no packet was followed end to end (${why})` } : {}) });
      }
      return result;
    };
  }

  /** The running sampler when it traces the same interfaces; otherwise a new one (the old one stopped). */
  private async open(args: string[], built: BuiltTopology): Promise<Session | { error: string }> {
    const key = args.join(' ');
    if (this.session?.key === key && this.session.alive) return this.session;
    await this.release();
    const started = await startSampler(this.runner, args, this.readyTimeoutMs);
    if ('error' in started) return { error: started.error };
    Ledger.open(built.ledgerPath).append({ kind: 'process', label: 'bpftrace', pid: started.proc.pid, startTime: procfs.startTime(started.proc.pid) ?? '' });
    const session: Session = { key, proc: started.proc, consumed: 0, splits: 0, alive: true };
    void started.proc.exited.then(() => (session.alive = false));
    this.session = session;
    return session;
  }

  /** Ask the sampler to print and clear its maps; its output since the last split. */
  private async split(s: Session): Promise<{ text: string; ok: boolean }> {
    getPriority(0); // the sampler's split probe fires on this process's getpriority(2)
    const until = Date.now() + 5000;
    let out = s.proc.output();
    while (countOf(out, SPLIT) <= s.splits && Date.now() < until && s.alive) {
      await delay(5);
      out = s.proc.output();
    }
    const ok = countOf(out, SPLIT) > s.splits;
    const end = ok ? out.indexOf('\n', nthIndex(out, SPLIT, s.splits + 1)) + 1 : out.length;
    const text = out.slice(s.consumed, end);
    s.consumed = end;
    s.splits = countOf(out.slice(0, end), SPLIT);
    return { text, ok };
  }

  /** Stop the sampler, if one is attached (before any untraced trial, and at the end). */
  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await s.proc.stop(15_000);
  }

  finish(results: Results): Results {
    return aggregateTracing(results, this.traces, { program: this.program, available: this.available, reason: this.reason });
  }
}

function countOf(text: string, word: string): number {
  let n = 0;
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) n++;
  return n;
}

/** index of the k-th (1-based) occurrence of word */
function nthIndex(text: string, word: string, k: number): number {
  let i = -1;
  for (let n = 0; n < k; n++) i = text.indexOf(word, i + 1);
  return i;
}
