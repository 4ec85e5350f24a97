/**
 * Step 4 of a run: tear down every built topology in reverse build order, recording
 * each teardown's time; a teardown that fails is a caveat telling the user to run
 * `bench clean`, and the others still run.
 */
import { errorMessage } from '../errors.js';
import { teardownBuilt } from '../topology/build.js';
import type { RunContext } from './context.js';
import type { RunRecord } from './record.js';

export async function tearDownAll(ctx: RunContext, record: RunRecord): Promise<void> {
  for (const b of [...record.built].reverse()) {
    try {
      const ms = await teardownBuilt(b, ctx.runner, ctx.state);
      const e = record.topologies.get(b.spec.name);
      if (e) record.topologies.set(b.spec.name, { ...e, teardownMs: ms });
    } catch (err) {
      record.caveats.push(`teardown of ${b.spec.name} failed: ${errorMessage(err)}; run 'bench clean'`);
    }
  }
}
