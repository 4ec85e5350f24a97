/**
 * Scratch directories for tests. Each is made with a name that says it is the tests'
 * (`netbench-t-<what>-…`), and removed when its test file ends
 * (test/support/scratch-cleanup.ts). NETBENCH_KEEP_TMP=1 keeps them, for a look at a
 * failed run's results.json and run.log. They go under NETBENCH_SCRATCH_ROOT when it is
 * set (the integration group's own directory, which its leak check reads: another test
 * run beside it cannot make it fail), else the system's temporary directory.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SCRATCH_PREFIX = 'netbench-t-';
export const SCRATCH_ROOT_ENV = 'NETBENCH_SCRATCH_ROOT';

const made: string[] = [];

/** Where scratch directories go. */
export function scratchBase(): string {
  return process.env[SCRATCH_ROOT_ENV] ?? tmpdir();
}

/** A fresh, empty directory that is removed when the test file ends. */
export function scratchDir(what: string): string {
  const dir = mkdtempSync(join(scratchBase(), `${SCRATCH_PREFIX}${what}-`));
  made.push(dir);
  return dir;
}

/** Removes every scratch directory this file made (unless NETBENCH_KEEP_TMP=1); returns those kept. */
export function removeScratch(keep = process.env['NETBENCH_KEEP_TMP'] === '1'): string[] {
  const dirs = made.splice(0);
  if (keep) return dirs;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  return [];
}

/** The tests' scratch directories present now in `base`, by name. */
export function scratchPresent(base = scratchBase()): string[] {
  return readdirSync(base).filter((n) => n.startsWith(SCRATCH_PREFIX));
}
