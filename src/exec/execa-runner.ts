/** The real runner: execa, argument arrays, timeouts with SIGINT -> SIGTERM -> SIGKILL. */
import { settlesWithin } from '../util/delay.js';
import { execa, type ResultPromise } from 'execa';
import { type BackgroundProcess, type CommandResult, type CommandSpec, DEFAULT_TIMEOUT_MS, type Runner, toArgv } from './runner.js';

const ESCALATION = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;

export interface ExecaRunnerOptions {
  /** aborting kills every child running at that moment (SIGINT first); later ones (teardown) run normally */
  readonly signal?: AbortSignal;
  /** grace between escalation steps */
  readonly graceMs?: number;
}

export class ExecaRunner implements Runner {
  private readonly live = new Set<ResultPromise>();
  constructor(private readonly options: ExecaRunnerOptions = {}) {
    options.signal?.addEventListener('abort', () => {
      for (const child of this.live) void escalate(child, this.options.graceMs ?? 1000);
    });
  }

  run(spec: CommandSpec): Promise<CommandResult> {
    return this.launch(spec).exited;
  }

  async start(spec: CommandSpec): Promise<BackgroundProcess> {
    const launched = this.launch(spec, false);
    // a program that cannot start (ENOENT) has no pid: report it as a failed start
    if (launched.child.pid === undefined) {
      const r = await launched.exited;
      throw Object.assign(new Error(r.spawnError ?? 'could not start process'), { result: r });
    }
    let seen = '';
    launched.child.stdout?.on('data', (chunk: Buffer | string) => {
      seen += chunk.toString();
    });
    return {
      pid: launched.child.pid,
      argv: launched.argv,
      exited: launched.exited,
      output: () => seen,
      stop: async (graceMs = 1000) => {
        await escalate(launched.child, graceMs);
        return launched.exited;
      },
    };
  }

  private launch(spec: CommandSpec, abortable = true): { child: ResultPromise; argv: string[]; exited: Promise<CommandResult> } {
    const argv = toArgv(spec);
    const started = performance.now();
    const child = execa(argv[0]!, argv.slice(1), {
      reject: false,
      stripFinalNewline: false,
      env: spec.env ? { ...process.env, ...spec.env } : undefined,
      input: spec.input,
      stdin: spec.input === undefined ? 'ignore' : undefined,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    this.live.add(child);
    if (!abortable) this.live.delete(child);
    let timedOut = false;
    const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      timedOut = true;
      void escalate(child, this.options.graceMs ?? 1000);
    }, timeoutMs);
    const exited = child.then((res) => {
      clearTimeout(timer);
      this.live.delete(child);
      const spawnError = res.exitCode === undefined && res.signal === undefined ? spawnMessage(res) : undefined;
      const result: CommandResult = {
        argv,
        exitCode: res.exitCode ?? null,
        signal: res.signal ?? null,
        stdout: typeof res.stdout === 'string' ? res.stdout : '',
        stderr: typeof res.stderr === 'string' ? res.stderr : '',
        timedOut,
        durationMs: performance.now() - started,
        ...(spawnError !== undefined ? { spawnError } : {}),
      };
      return result;
    });
    return { child, argv, exited };
  }
}

function spawnMessage(res: unknown): string {
  const r = res as { code?: string; originalMessage?: string; shortMessage?: string };
  if (r.code === 'ENOENT') return 'program not found';
  return r.originalMessage ?? r.shortMessage ?? 'could not start';
}

/**
 * Send SIGINT, then SIGTERM, then SIGKILL, waiting `graceMs` for the child to end between
 * steps. A child that is gone while a grandchild still holds its pipes (a shell's `sleep`)
 * would keep the result waiting for the grandchild: its pipes are let go instead.
 */
export async function escalate(child: ResultPromise, graceMs: number): Promise<void> {
  for (const sig of ESCALATION) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      child.kill(sig);
    } catch {
      break;
    }
    if (await settlesWithin(child, graceMs)) return;
  }
  if (await settlesWithin(child, 0)) return;
  child.stdout?.destroy();
  child.stderr?.destroy();
}

