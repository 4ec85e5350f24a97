/** Where the suite keeps ledgers, locks and per-run scratch directories. */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureDir } from '../util/files.js';

export interface StateDirs {
  readonly root: string;
  readonly ledgers: string;
  readonly runs: string;
  readonly lockInfo: string;
}

export function stateDirs(root = process.env['NETBENCH_STATE_DIR'] ?? '/run/netbench'): StateDirs {
  return { root, ledgers: join(root, 'ledgers'), runs: join(root, 'runs'), lockInfo: join(root, 'lock.json') };
}

/**
 * The lock's name for a state directory: keyed on the directory itself (created if
 * needed, symlinks resolved), so two spellings of one directory share one lock.
 */
export function lockNameFor(state: StateDirs): string {
  ensureDir(state.root, 'state directory', 0o700);
  let real: string;
  try {
    real = realpathSync(state.root);
  } catch {
    real = resolve(state.root);
  }
  return `netbench-lock-${createHash('sha256').update(real).digest('hex').slice(0, 24)}`;
}
