/**
 * A whole `bench run`, as four steps: build and check every topology, plan the cells,
 * measure trials (results written after every one), and tear everything down whatever
 * happens. docs/architecture.md describes the data flow.
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Ledger, RUN_LEDGER } from '../lab/ledger.js';
import { errorMessage } from '../errors.js';
import { RunStore } from '../results/store.js';
import type { Cell, Results } from '../results/types.js';
import { buildAndCheck } from './build-step.js';
import type { RunConfig } from './config.js';
import type { RunContext, RunDeps } from './context.js';
import { machineEnv } from './env.js';
import { measure, suiteDaemons, type TrialFn } from './measure.js';
import { fixedPlanner, type Planner, planCells } from './plan.js';
import { RunRecord } from './record.js';
import { quietCheck } from './interference.js';
import { adaptivePlanner, type PlanGoal } from './adaptive.js';
import { comparisonSpecs, specCells } from '../results/comparisons.js';
import { tearDownAll } from './teardown-step.js';
import { NicHolder } from './holder.js';
import { holdHasNoEffect, readIdleRegime, type CpuLatencyHold } from '../lab/idle.js';
import type { IdleEnv } from '../results/types.js';
import { noiseSummary, streamSeries } from './noise.js';
import { noiseText } from '../results/noise.js';
import { resolveRoute } from '../topology/routes.js';

export type { Progress, ProgressEvent, RunDeps } from './context.js';

export interface RunOutcome {
  readonly results: Results;
  readonly store: RunStore;
}

export interface ExecuteOptions {
  /** chooses the trials; the fixed, interleaved schedule by default */
  readonly planner?: (cells: readonly Cell[], cfg: RunConfig, tracedBlocks: number) => Planner;
  readonly trialFn?: TrialFn;
  /** what an adaptive plan measures until, instead of the run's comparisons (`bench gate --run`: its gated metrics); with it a run without a budget is adaptive too, up to its most blocks */
  readonly goal?: (cells: readonly Cell[], cfg: RunConfig) => PlanGoal;
}

/** Seconds a run keeps back from its budget for teardown: measured at about 0.5 s per topology. */
export function teardownReserveS(topologies: number): number {
  return 3 + topologies * 0.6;
}

/** The fixed schedule for a count of trials; the adaptive plan when the run has a budget. */
export function defaultPlanner(startedMs: number, byTopology = false, switchMs?: () => number, goal?: ExecuteOptions['goal']): NonNullable<ExecuteOptions['planner']> {
  return (cells, cfg, tracedBlocks) => {
    const specs = comparisonSpecs(cfg.sides, cfg.workloads, cfg.paths);
    if (cfg.budgetS === null && !goal) return fixedPlanner(cells, { ...cfg, byTopology, pairs: specs.map(specCells) }, tracedBlocks);
    const deadlineMs = cfg.budgetS === null ? Infinity : startedMs + (cfg.budgetS - teardownReserveS(cfg.topologies.length)) * 1000;
    return adaptivePlanner(cells, { specs, seed: cfg.seed, warmup: cfg.warmup, tracedBlocks, maxBlocks: cfg.trials, durationS: cfg.durationS, deadlineMs, byTopology, pairing: cfg.pairing, estimator: cfg.estimator, ...(switchMs ? { switchMs } : {}), ...(goal ? { goal: goal(cells, cfg) } : {}) });
  };
}

/** Before measuring: is anything else busy? Said at once and kept as a caveat; the run goes on. */
async function checkQuiet(watch: NonNullable<RunDeps['watch']>, cfg: RunConfig, ctx: RunContext, record: RunRecord): Promise<void> {
  const ms = watch.quietMs;
  ctx.progress?.({ done: 0, total: 0, etaS: 0, message: `checking for ${ms / 1000} s that the machine is quiet` });
  const { warning } = await quietCheck(ms, suiteDaemons(record), watch.sample);
  if (!warning) return ctx.log('quiet check: nothing else is busy');
  ctx.log(`quiet check: ${warning}`);
  ctx.warn?.(`${warning}; ${cfg.busy === 'keep' ? 'trials it disturbs are kept and counted (--busy keep), and the report says how many' : 'trials it disturbs are flagged, re-run and left out'}`);
  record.caveats.push(`before measuring, ${warning}`);
}

/**
 * The run's noise profile (cfg.noiseS): the host path streamed in 100 ms steps before
 * the trials, so that the report can tell a noisy day from a real difference. A profile
 * that cannot be taken is a caveat; the run goes on.
 */
async function takeNoiseProfile(cfg: RunConfig, ctx: RunContext, record: RunRecord): Promise<void> {
  const host = cfg.topologies.find((t) => t.driver === 'host');
  const b = host && !ctx.aborted() ? (ctx.holder ? await ctx.holder.hold(host.name) : record.built.find((x) => x.spec.name === host.name)) : undefined;
  const route = b ? resolveRoute(b.spec, b, 'c1-peer') : undefined;
  if (!b || !route?.ok) return;
  ctx.progress?.({ done: 0, total: 0, etaS: 0, message: `noise profile: the host path for ${cfg.noiseS} s, a figure every 100 ms` });
  try {
    const noise = noiseSummary(await streamSeries(ctx.runner, route.plan, cfg.noiseS, Ledger.open(b.ledgerPath)));
    record.noise = noise;
    ctx.log(`noise profile: ${noiseText(noise)}`);
  } catch (err) {
    record.caveats.push(`the noise profile could not be taken: ${errorMessage(err)}`);
    ctx.log(`noise profile failed: ${errorMessage(err)}`);
  }
}

/**
 * Hold the CPUs out of idle sleep for the whole run (cfg.cpuLatencyUs), and record the
 * regime it measured under. A machine that refuses the request is measured without it,
 * said once and kept as a caveat.
 */
async function holdIdle(cfg: RunConfig, ctx: RunContext, record: RunRecord): Promise<CpuLatencyHold | undefined> {
  const regime = await readIdleRegime(ctx.runner);
  const hold = cfg.cpuLatencyUs !== null && ctx.cpuIdle ? ctx.cpuIdle.hold(cfg.cpuLatencyUs) : undefined;
  let note: string | null;
  if (cfg.cpuLatencyUs === null) note = 'no request held (--deep-idle): the CPUs may sleep between packets, as deployed';
  else if (!hold) note = 'no request held: this run was given no way to hold one';
  else if (hold.reason !== null) {
    note = `no request held: ${hold.reason}; the CPUs may sleep between packets, so request/response figures include their wake-ups`;
    ctx.warn?.(note);
    record.caveats.push(`CPU idle: ${note}`);
  } else note = holdHasNoEffect(regime);
  const idle: IdleEnv = { ...regime, requestUs: hold?.valueUs ?? null, note };
  record.machine = { ...record.machine, idle };
  ctx.log(`CPU idle: driver ${regime.driver ?? 'none'}, governor ${regime.governor ?? 'none'}; ${idle.requestUs !== null ? `holding a ${idle.requestUs} µs CPU-latency request` : 'no CPU-latency request'}${note ? ` (${note})` : ''}`);
  return hold;
}

export async function executeRun(cfg: RunConfig, deps: RunDeps, opts: ExecuteOptions = {}): Promise<RunOutcome> {
  const startedMs = performance.now();
  const store = new RunStore(cfg.outDir);
  // where the results go, in a ledger before they exist: a run killed before it finishes is marked so by `bench clean`
  const runLedger = Ledger.create(deps.state.ledgers, `${cfg.tag}-${RUN_LEDGER}`, { tag: cfg.tag, topology: RUN_LEDGER, pid: process.pid, command: deps.command, createdAt: new Date().toISOString() });
  try {
    runLedger.append({ kind: 'results', runId: cfg.runId, path: resolve(store.resultsPath) });
    store.init(cfg.replaceOut);
  } catch (err) {
    runLedger.remove();
    throw err;
  }
  const tracer = deps.tracer;
  const tracing = { enabled: cfg.trace, available: tracer?.available ?? false, reason: cfg.trace ? (tracer?.reason ?? null) : 'turned off (--no-trace)', ...(cfg.trace ? { tracer: cfg.tracer, why: cfg.tracerWhy } : {}) };
  const record = new RunRecord(cfg, tracing, cpus().length >= 2 ? { client: 0, server: 1 } : null);
  const base = { ...deps, log: (l: string) => store.log(l) };
  const ctx: RunContext = deps.real ? { ...base, holder: new NicHolder(cfg, base, record) } : base;
  const save = () => store.writeResults(record.snapshot());
  let final: Results | undefined;
  let hold: CpuLatencyHold | undefined;
  ctx.log(`run ${cfg.runId} seed ${cfg.seed} profile ${cfg.profile}: ${deps.command}`);
  save();
  try {
    record.machine = await machineEnv(deps.runner);
    hold = await holdIdle(cfg, ctx, record);
    if (deps.real) record.realHosts = deps.real.env;
    const measurable = await buildAndCheck(cfg, ctx, record);
    if (deps.watch) await checkQuiet(deps.watch, cfg, ctx, record);
    if (cfg.noiseS > 0) await takeNoiseProfile(cfg, ctx, record);
    const { cells, notApplicable } = planCells(cfg, measurable, record.notApplicable);
    record.notApplicable.push(...notApplicable);
    save();
    const tracedBlocks = tracer?.available ? cfg.tracedBlocks : 0;
    const planner = (opts.planner ?? defaultPlanner(startedMs, deps.real !== undefined, ctx.holder ? () => ctx.holder!.switchMs : undefined, opts.goal))(cells, cfg, tracedBlocks);
    await measure(planner, cfg, ctx, record, store, save, opts.trialFn);
    deps.progress?.({ done: planner.progress.total, total: planner.progress.total, etaS: 0, message: 'tearing down' });
    record.status = deps.aborted() ? 'interrupted' : 'complete';
    if (record.status === 'interrupted') record.statusReason = 'interrupted by a signal; the trials recorded so far are kept';
  } catch (err) {
    record.status = deps.aborted() ? 'interrupted' : 'failed';
    record.statusReason = errorMessage(err);
    throw err;
  } finally {
    await tearDownAll(ctx, record);
    hold?.release();
    if (ctx.holder && ctx.holder.rebuilds > 0) ctx.log(`the test NICs moved between topologies ${ctx.holder.rebuilds} times, taking ${ctx.holder.rebuildS.toFixed(1)} s`);
    if (record.status === 'running') record.status = 'failed';
    final = record.snapshot();
    if (tracer) final = tracer.finish(final);
    try {
      store.writeResults(final);
    } finally {
      runLedger.remove();
    }
    ctx.log(`run ${record.status}`);
  }
  return { results: final, store };
}
