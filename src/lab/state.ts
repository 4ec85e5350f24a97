/** Where the suite keeps ledgers, locks and per-run scratch directories. */
import { join } from 'node:path';

export interface StateDirs {
  readonly root: string;
  readonly ledgers: string;
  readonly runs: string;
  readonly lockInfo: string;
}

export function stateDirs(root = process.env['NETBENCH_STATE_DIR'] ?? '/run/netbench'): StateDirs {
  return { root, ledgers: join(root, 'ledgers'), runs: join(root, 'runs'), lockInfo: join(root, 'lock.json') };
}
