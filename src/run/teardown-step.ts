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
  if (record.built.length) ctx.log(`tearing down ${record.built.map((b) => b.spec.name).reverse().join(', ')}`);
  for (const b of [...record.built].reverse()) {
    // a real-host run has only the topology that holds the test NICs up
    if (ctx.holder && ctx.holder.holding !== b.spec.name) continue;
    try {
      const ms = await teardownBuilt(b, ctx.runner, ctx.state, ctx.real?.runner.remote);
      const e = record.topologies.get(b.spec.name);
      if (e) record.topologies.set(b.spec.name, { ...e, teardownMs: ms });
    } catch (err) {
      record.caveats.push(`teardown of ${b.spec.name} failed: ${errorMessage(err)}; run 'bench clean'`);
    }
  }
}
