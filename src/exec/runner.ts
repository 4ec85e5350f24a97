/**
 * The one way netbench runs a program: a program, an argument array (never a shell
 * string), an optional network namespace and a timeout. Drivers only see `Runner`, so
 * tests can hand them a recorder and a later transport can run the same specs remotely.
 */
import { NetbenchError } from '../errors.js';

export interface CommandSpec {
  readonly program: string;
  readonly args: readonly string[];
  /** network namespace to run in (via `ip netns exec`); the root namespace when absent */
  readonly netns?: string;
  /** hard limit; the process gets SIGINT, then SIGTERM, then SIGKILL */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** pin to this CPU with taskset */
  readonly cpu?: number;
}

export interface CommandResult {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** set when the program could not be started at all (e.g. ENOENT) */
  readonly spawnError?: string;
}

export interface BackgroundProcess {
  readonly pid: number;
  /** set when the process runs on another machine (the ssh destination); pid and startTime are that machine's */
  readonly host?: string;
  /** the kernel's start time of pid, when the runner knows it (the ledger reads /proc for local ones) */
  readonly startTime?: string;
  readonly argv: readonly string[];
  /** resolves when the process ends, however it ends */
  readonly exited: Promise<CommandResult>;
  /** SIGINT, then SIGTERM, then SIGKILL, each after `graceMs` */
  stop(graceMs?: number): Promise<CommandResult>;
  /** what the process has written to stdout so far */
  output(): string;
}

export interface Runner {
  run(spec: CommandSpec): Promise<CommandResult>;
  start(spec: CommandSpec): Promise<BackgroundProcess>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The argv actually executed for a spec: namespace and CPU pinning become wrappers. */
export function toArgv(spec: CommandSpec): string[] {
  let argv = [spec.program, ...spec.args];
  if (spec.cpu !== undefined) argv = ['taskset', '-c', String(spec.cpu), ...argv];
  if (spec.netns !== undefined) argv = ['ip', 'netns', 'exec', spec.netns, ...argv];
  return argv;
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function succeeded(r: CommandResult): boolean {
  return r.exitCode === 0 && !r.timedOut && r.spawnError === undefined;
}

/** One line describing why a command failed, with the end of its stderr. */
export function describeFailure(r: CommandResult): string {
  const what = formatArgv(r.argv);
  if (r.spawnError !== undefined) return `${what}: ${r.spawnError}`;
  if (r.timedOut) return `${what}: timed out after ${Math.round(r.durationMs)} ms`;
  const tail = lastLines(r.stderr || r.stdout, 3);
  const status = r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  return `${what}: ${status}${tail ? `: ${tail}` : ''}`;
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').slice(-n).join(' | ');
}

/** Throw a COMMAND_FAILED error carrying the result when the command did not succeed. */
export function ensureOk(r: CommandResult): CommandResult {
  if (!succeeded(r)) {
    throw new NetbenchError('COMMAND_FAILED', describeFailure(r), {
      details: { argv: r.argv, exitCode: r.exitCode, stderr: r.stderr, timedOut: r.timedOut },
    });
  }
  return r;
}

