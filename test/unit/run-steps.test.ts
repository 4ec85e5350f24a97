/**
 * The run loop's steps, each with the recording runner: plan, measure, build-and-check,
 * tear down, and the whole run with a planner and a trial function put in their place.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cell, OkTrial, TrialRecord } from '../../src/results/types.js';
import { resultsSchemaErrors } from '../../src/results/validate.js';
import { resolveRunConfig } from '../../src/run/config.js';
import type { RunContext } from '../../src/run/context.js';
import { executeRun } from '../../src/run/execute.js';
import { measure, type TrialFn } from '../../src/run/measure.js';
import { fixedPlanner, type Planner, planCells } from '../../src/run/plan.js';
import { RunRecord } from '../../src/run/record.js';
import { RunStore } from '../../src/results/store.js';
import type { ScheduledTrial } from '../../src/run/schedule.js';
import { buildTopology } from '../../src/topology/build.js';
import { resolveTopologyArg } from '../../src/topology/registry.js';
import { simulatedKernel, tempState } from '../support/fakes.js';

let cleanup = () => {};
afterEach(() => cleanup());

/** A trial that "measures" a fixed rate without running anything. */
const fakeTrial =
  (seen: ScheduledTrial[]): TrialFn =>
  async (t) => {
    seen.push(t);
    const rec: OkTrial = { ...t, status: 'ok', metrics: { tps: { value: 1000 + t.index, unit: 'transactions/s' } }, flags: [], raw: [], startedAt: new Date().toISOString(), durationMs: 1 };
    return rec;
  };

function config(topology: string, out: string, extra: { trials?: number } = {}) {
  return resolveRunConfig({ topology, workload: 'tcp-rr,tcp-stream', path: 'c1-peer,c1-c2', trials: extra.trials ?? 3, warmup: 1, duration: 1, seed: 7, out, trace: false });
}

describe('plan', () => {
  it('measures every applicable cell of the measurable topologies and says why the rest are not', () => {
    const cfg = { topologies: ['host', 'bridge', 'nat'].map(resolveTopologyArg), workloads: ['tcp-rr'] as const, paths: ['c1-peer', 'c1-c2'] as const };
    const p = planCells(cfg, new Set(['host', 'bridge']));
    expect(p.cells.map((c) => `${c.topology} ${c.path}`)).toEqual(['host c1-peer', 'bridge c1-peer', 'bridge c1-c2']);
    expect(p.notApplicable.map((n) => `${n.topology} ${n.path}: ${n.reason}`)).toEqual([
      'host c1-c2: not applicable, because the host baseline has no containers',
      'nat c1-peer: not measured, because nat could not be built or is broken (see caveats)',
      'nat c1-c2: not measured, because nat could not be built or is broken (see caveats)',
    ]);
  });

  it('the fixed planner gives warm-ups, then every cell once per block, and counts progress', () => {
    const cells = [{ topology: 'host', workload: 'tcp-rr', path: 'c1-peer' }, { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' }] as const;
    const p = fixedPlanner(cells, { trials: 2, warmup: 1, seed: 3 }, 0);
    const got: ScheduledTrial[] = [];
    for (let t = p.next(); t; t = p.next()) got.push(t);
    expect(got.map((t) => t.block)).toEqual([-1, -1, 0, 0, 1, 1]);
    expect(got.filter((t) => t.block === 1).map((t) => t.topology).sort()).toEqual(['bridge', 'host']);
    expect(p.progress).toEqual({ done: 6, total: 6 });
  });
});

/** A run record with host built (against the simulated kernel) and an empty run directory. */
async function hostBuilt() {
  const t = tempState();
  cleanup = t.cleanup;
  const cfg = config('host', join(t.state.root, 'out'));
  const record = new RunRecord(cfg, { enabled: false, available: false, reason: 'off' }, null);
  const { runner } = simulatedKernel();
  record.built.push(await buildTopology(cfg.topologies[0]!, { runner, state: t.state, tag: cfg.tag, slot: 0, command: 'test' }));
  const store = new RunStore(cfg.outDir);
  store.init();
  return { t, cfg, record, runner, store };
}

describe('measure', () => {
  it('runs what the planner gives on the built topology, records and saves after every trial, and stops when interrupted', async () => {
    const { t, cfg, record, runner, store } = await hostBuilt();
    let saves = 0;
    const stopAfter = 4;
    const seen: ScheduledTrial[] = [];
    const ctx: RunContext = { runner, state: t.state, aborted: () => seen.length >= stopAfter, command: 'test', log: () => {} };
    const { cells } = planCells(cfg, new Set(['host']));
    await measure(fixedPlanner(cells, cfg, 0), cfg, ctx, record, store, () => saves++, fakeTrial(seen));
    expect(seen.length).toBe(4);
    expect(record.trials.length).toBe(4);
    expect(saves).toBe(4);
    // every trial ran on host's own route
    expect(seen.every((s) => s.topology === 'host' && s.path === 'c1-peer')).toBe(true);
  });

  it('hands every finished trial back to the planner (what an adaptive planner decides from)', async () => {
    const { t, cfg, record, runner, store } = await hostBuilt();
    const reported: TrialRecord[] = [];
    const trial: ScheduledTrial = { index: 0, block: 0, warmup: false, traced: false, topology: 'host', workload: 'tcp-rr', path: 'c1-peer' };
    let given = 0;
    // stops as soon as one trial has come back
    const planner: Planner = { next: () => (reported.length === 0 ? { ...trial, index: given++ } : undefined), record: (r) => reported.push(r), progress: { done: 0, total: 1 } };
    await measure(planner, cfg, { runner, state: t.state, aborted: () => false, command: 'test', log: () => {} }, record, store, () => {}, fakeTrial([]));
    expect(reported.map((r) => r.index)).toEqual([0]);
  });

  it('says at once, and in the log, why an adaptive plan stopped taking trials', async () => {
    const { t, cfg, record, runner, store } = await hostBuilt();
    const why = 'the budget is spent (3 of 5 comparisons undecided); 2 of them are out of reach at their spread so far';
    const planner: Planner = { next: () => undefined, record: () => {}, progress: { done: 0, total: 0 }, outlook: () => ({ etaS: 0, note: '', stopped: why }) };
    const notes: string[] = [];
    const log: string[] = [];
    await measure(planner, cfg, { runner, state: t.state, aborted: () => false, command: 'test', log: (l) => log.push(l), note: (m) => notes.push(m) }, record, store, () => {}, fakeTrial([]));
    expect(notes).toEqual([`the run stopped taking trials: ${why}`]);
    expect(log).toContain(`adaptive plan ended: ${why}`);
    // a plan that has no account of its own (the fixed count) says nothing
    const quiet: string[] = [];
    await measure({ next: () => undefined, record: () => {}, progress: { done: 0, total: 0 } }, cfg, { runner, state: t.state, aborted: () => false, command: 'test', log: () => {}, note: (m) => quiet.push(m) }, record, store, () => {}, fakeTrial([]));
    expect(quiet).toEqual([]);
  });
});

describe('a whole run, with the trial function and the planner replaced', () => {
  it('builds, checks, measures, writes valid results and tears everything down', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const { runner, namespaces } = simulatedKernel();
    const cfg = config('host', join(t.state.root, 'out'));
    const seen: ScheduledTrial[] = [];
    const { results, store } = await executeRun(cfg, { runner, state: t.state, aborted: () => false, command: 'test' }, { trialFn: fakeTrial(seen) });
    expect(results.status).toBe('complete');
    // 2 workloads × 1 applicable path: 2 warm-ups and 3 blocks of 2
    expect(seen.length).toBe(8);
    expect(results.trials.filter((x) => !x.warmup).length).toBe(6);
    expect(results.notApplicable.map((n) => n.path)).toEqual(['c1-c2']);
    expect(results.environment.topologies[0]?.reachability?.ok).toBe(true);
    expect(results.environment.topologies[0]?.teardownMs).not.toBeNull();
    expect(namespaces.size).toBe(0);
    const onDisk: unknown = JSON.parse(readFileSync(store.resultsPath, 'utf8'));
    expect(resultsSchemaErrors(onDisk)).toEqual([]);
  });

  it('an adaptive planner can take the fixed schedule\'s place', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const { runner } = simulatedKernel();
    const cfg = config('host', join(t.state.root, 'out'));
    const seen: ScheduledTrial[] = [];
    // one trial per cell, then done
    const onePerCell = (cells: readonly Cell[]): Planner => {
      let i = 0;
      const next = () => {
        const c = cells[i];
        return c ? { ...c, index: i++, block: 0, warmup: false, traced: false } : undefined;
      };
      return { next, record: () => {}, get progress() { return { done: i, total: cells.length }; } };
    };
    const { results } = await executeRun(cfg, { runner, state: t.state, aborted: () => false, command: 'test' }, { trialFn: fakeTrial(seen), planner: onePerCell });
    expect(results.trials.map((x) => x.workload)).toEqual(['tcp-rr', 'tcp-stream']);
  });
});
