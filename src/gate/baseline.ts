/** Stored baselines: bench/baselines/<name>.json, a validated copy of a run's results. */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { BENCH_DIR } from '../locations.js';
import type { Results } from '../results/types.js';
import { loadResults } from '../results/validate.js';

export const BASELINE_DIR = join(BENCH_DIR, 'baselines');

export function saveBaseline(run: string, name: string, dir = BASELINE_DIR): { path: string; results: Results } {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw usageError(`baseline name '${name}' may use letters, digits, '.', '_' and '-' only`);
  const results = loadResults(run);
  if (results.status !== 'complete') throw usageError(`run ${results.runId} is ${results.status}, not complete: it cannot be a baseline`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  copyFileSync(run.endsWith('.json') ? run : join(run, 'results.json'), path);
  return { path, results };
}

/** A results file, a run directory, or the name of a stored baseline. */
export function resolveBaseline(arg: string, dir = BASELINE_DIR): Results {
  if (existsSync(arg)) return loadResults(arg);
  const stored = join(dir, `${arg}.json`);
  if (existsSync(stored)) return loadResults(stored);
  throw usageError(`baseline '${arg}' is neither a results file, a run directory, nor a stored baseline in ${dir}`);
}
