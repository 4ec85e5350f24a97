import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { NETNS_PATTERN } from '../../src/lab/names.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function bench(args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<CliResult> {
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, env, timeout: timeoutMs });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function benchBackground(args: string[], env: Record<string, string> = {}): ResultPromise {
  return execa(process.execPath, [CLI, ...args], { reject: false, env });
}

/** The namespaces the tests make themselves (the emulated peer machine): never a run's, so `bench clean` leaves them alone, but a leak all the same. */
export const TEST_NETNS_PREFIX = 'nbtest-';

/** Namespaces of the suite's runs and of the tests themselves: what must be gone when a test ends. */
export function ourNetns(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => NETNS_PATTERN.test(n) || n.startsWith(TEST_NETNS_PREFIX));
}

export async function waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return pred();
}
