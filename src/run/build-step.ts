/**
 * Step 1 of a run: build every topology and check it against its reachability row. A
 * topology that fails to build, or shows the wrong reachability, is recorded with the
 * reason and not measured; the run goes on with the others.
 */
import { errorMessage } from '../errors.js';
import { buildTopology } from '../topology/build.js';
import { measureReachability, realHostFinding } from '../topology/reachability.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './context.js';
import { topologyEnv } from './env.js';
import { applyInjection } from './inject.js';
import type { RunRecord } from './record.js';

/** Returns the names of the topologies that can be measured. */
export async function buildAndCheck(cfg: RunConfig, ctx: RunContext, record: RunRecord): Promise<Set<string>> {
  const measurable = new Set<string>();
  for (const [slot, spec] of cfg.topologies.entries()) {
    if (ctx.aborted()) break;
    ctx.progress?.({ done: 0, total: 0, etaS: 0, message: `building ${spec.name}` });
    try {
      // a real-host run: the topology before this one gives the test NICs back first
      await ctx.holder?.release();
      const b = await buildTopology(spec, { runner: ctx.runner, state: ctx.state, tag: cfg.tag, slot, command: ctx.command, aborted: ctx.aborted, ...(ctx.real ? { real: ctx.real } : {}) });
      record.built.push(b);
      ctx.holder?.built(spec.name);
      const reach = await measureReachability(ctx.runner, b);
      if (cfg.inject) {
        const note = await applyInjection(ctx.runner, b, cfg.inject);
        if (note) record.caveats.push(note);
      }
      record.topologies.set(spec.name, { ...(await topologyEnv(ctx.runner, b)), teardownMs: null, reachability: reach });
      const finding = ctx.real ? realHostFinding(spec, reach) : undefined;
      if (reach.ok) measurable.add(spec.name);
      else if (finding?.measurable) {
        measurable.add(spec.name);
        record.caveats.push(`${spec.name}: ${finding.text}`);
        for (const path of finding.unreachable) if (cfg.paths.includes(path)) record.notApplicable.push({ topology: spec.name, path, reason: 'not reachable on this hardware: the switch does not hairpin (see caveats)' });
      } else if (finding) record.caveats.push(`${spec.name} was not measured: ${finding.text}`);
      else {
        const bad = reach.cells.filter((c) => !c.ok).map((c) => `${c.id} expected ${c.expected}, saw ${c.observed}`);
        record.caveats.push(`${spec.name} is broken (reachability differs from the expected matrix in docs/methodology.md: ${bad.join('; ')}); it was not measured`);
      }
      ctx.log(`built ${spec.name} in ${Math.round(b.buildMs)} ms; reachability ${reach.ok ? 'as expected' : 'WRONG'}`);
    } catch (err) {
      if (ctx.aborted()) break;
      record.caveats.push(`${spec.name} could not be built: ${errorMessage(err)}`);
      ctx.log(`build of ${spec.name} failed: ${errorMessage(err)}`);
    }
  }
  return measurable;
}
