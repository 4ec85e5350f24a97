/** Locations inside the installed project, valid from src/ (tests) and dist/src/ (the CLI). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'topologies'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('netbench: cannot find the project root (package.json beside topologies/)');
}

export const PROJECT_ROOT = findRoot();
export const TOPOLOGY_DIR = join(PROJECT_ROOT, 'topologies');
export const BENCH_DIR = join(PROJECT_ROOT, 'bench');
export const SCHEMA_DIR = join(PROJECT_ROOT, 'schemas');

/**
 * A module of ours as a file node can run as a script. Compiled, it is the .js beside
 * the caller; run from the TypeScript sources (the test runner), node cannot execute
 * the .ts, so it is the build's copy under dist/ (npm test builds first).
 */
export function nodeScript(callerUrl: string, relative: string): string {
  const beside = fileURLToPath(new URL(relative, callerUrl));
  if (beside.endsWith('.js') && existsSync(beside)) return beside;
  const fromSrc = beside.replace(/\.ts$/, '.js').slice(join(PROJECT_ROOT, 'src').length);
  return join(PROJECT_ROOT, 'dist', 'src', fromSrc);
}
