import { execFileSync } from 'node:child_process';

/** Run a program (argv[0]) and return its stdout; a failure throws with its stderr. */
export function sh(argv: readonly string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
