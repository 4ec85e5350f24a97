/** Stored baselines: bench/baselines/<name>.json, a validated copy of a run's results. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { BENCH_DIR } from '../locations.js';
import type { Results } from '../results/types.js';
import { loadResults } from '../results/validate.js';
import { writeFileAtomic } from '../util/files.js';

export const BASELINE_DIR = join(BENCH_DIR, 'baselines');

export function saveBaseline(run: string, name: string, dir = BASELINE_DIR, force = false): { path: string; results: Results; replaced: string | null } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw usageError(`baseline name '${name}' may use letters, digits, '.', '_' and '-' only, starting with a letter or digit`);
  const results = loadResults(run);
  if (results.status !== 'complete') throw usageError(`run ${results.runId} is ${results.status}, not complete: it cannot be a baseline`);
  const path = join(dir, `${name}.json`);
  let replaced: string | null = null;
  if (existsSync(path)) {
    replaced = readRunId(path);
    if (!force) throw usageError(`baseline '${name}' already exists (${path}, run ${replaced ?? 'unreadable'}); pass --force to replace it`);
  }
  // the validated results, written atomically: a failure leaves the old baseline intact
  writeFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`, 'baseline');
  return { path, results, replaced };
}

function readRunId(path: string): string | null {
  try {
    return loadResults(path).runId;
  } catch {
    return null;
  }
}

/** A results file, a run directory, or the name of a stored baseline. */
export function resolveBaseline(arg: string, dir = BASELINE_DIR): Results {
  if (existsSync(arg)) return loadResults(arg);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(arg)) throw usageError(`baseline '${arg}' does not exist (a results file, a run directory, or the name of a stored baseline in ${dir})`);
  const stored = join(dir, `${arg}.json`);
  if (existsSync(stored)) return loadResults(stored);
  throw usageError(`baseline '${arg}' is neither a results file, a run directory, nor a stored baseline in ${dir}`);
}
