/**
 * The one CLI runner of the integration tests: the built `bench`, run to its end or in
 * the background. Every background run is its own process group and is remembered:
 * when a test ends, passed or failed, a run still alive is killed as a group, `bench
 * clean` removes what it left, and the test fails for having left it (background-guard.ts).
 * No helper waits longer than a test may: vitest's integration timeout is 300 s.
 */
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

/** Under the integration project's 300 s test timeout, so that a hung run fails its own test with its output. */
export const BENCH_TIMEOUT_MS = 280_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function bench(args: string[], env: Record<string, string> = {}, timeoutMs = BENCH_TIMEOUT_MS): Promise<CliResult> {
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, env, timeout: Math.min(timeoutMs, BENCH_TIMEOUT_MS) });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface Background {
  readonly child: ResultPromise;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
}

const background = new Set<Background>();

/** `bench` in the background, the leader of its own process group (a CI timeout kills a group; so can a test). */
export function benchBackground(args: string[], env: Record<string, string> = {}): ResultPromise {
  const child = execa(process.execPath, [CLI, ...args], { reject: false, env, detached: true, timeout: BENCH_TIMEOUT_MS, killSignal: 'SIGKILL' });
  const entry = { child, args, env };
  background.add(entry);
  void child.finally(() => background.delete(entry));
  return child;
}

const alive = (c: ResultPromise) => c.exitCode === null && c.signalCode === null;

/**
 * Kill every background run still alive, each as a process group, and clean up after it
 * with its own state directory. Returns what was still running, for the guard to report.
 */
export async function killBackground(): Promise<string[]> {
  const left = [...background].filter((b) => alive(b.child));
  for (const b of left) {
    try {
      process.kill(-b.child.pid!, 'SIGKILL');
    } catch {
      // gone between the check and the kill
    }
    await b.child;
  }
  for (const env of new Set(left.map((b) => JSON.stringify(b.env)))) await bench(['clean'], JSON.parse(env) as Record<string, string>);
  background.clear();
  return left.map((b) => `bench ${b.args.join(' ')}`);
}
