/** bench clean [--dry-run] */
import { NetbenchError } from '../../errors.js';
import { clean } from '../../lab/clean.js';
import { requireRoot } from '../../tools.js';
import type { Session } from '../session.js';

export async function cleanCommand(session: Session, opts: { dryRun?: boolean }): Promise<number> {
  requireRoot();
  return session.withLock('bench clean', async () => {
    const report = await clean({ runner: session.runner, state: session.state, dryRun: Boolean(opts.dryRun), log: (l) => session.io.out(`${l}\n`) });
    if (report.actions.length === 0) session.io.out('nothing to clean: no netbench namespaces, processes or scratch dirs found\n');
    if (report.errors.length > 0) throw new NetbenchError('COMMAND_FAILED', `clean could not remove everything: ${report.errors.join('; ')}`);
    return 0;
  });
}
