/**
 * Step 3 of a run: take trials from the planner until it is done or the run is
 * interrupted; run each on its topology's route (traced when the plan says so), record
 * it, save results after every trial, and report progress with an estimate of the time left.
 */
import { Ledger, type LedgerEntry } from '../lab/ledger.js';
import { ovsPidfiles } from '../lab/teardown.js';
import { busyReason, interferenceBetween, type ProcSample } from './interference.js';
import type { RunStore } from '../results/store.js';
import { sameCell } from '../results/cell.js';
import type { Cell, TrialRecord } from '../results/types.js';
import { STEAL_REASON } from '../results/interference.js';
import { median } from '../stats/summary.js';
import { sizedByCount, workload } from '../workloads/registry.js';
import type { BuiltTopology } from '../topology/build.js';
import { resolveRoute } from '../topology/routes.js';
import type { BusyPolicy, RunConfig } from './config.js';
import type { RunContext } from './context.js';
import type { Planner } from './plan.js';
import type { RunRecord } from './record.js';
import type { ScheduledTrial } from './schedule.js';
import { runTrial } from './trial.js';

export type TrialFn = typeof runTrial;

/**
 * The median primary figure of the cell's successful trials so far (warm-ups included);
 * failing that, of the same topology and workload on another path; undefined before any.
 */
export function expectedRate(trials: readonly TrialRecord[], cell: Cell): number | undefined {
  const primary = workload(cell.workload).primary;
  const figures = (match: (t: TrialRecord) => boolean) => trials.flatMap((t) => (t.status === 'ok' && match(t) && t.metrics[primary] ? [t.metrics[primary].value] : []));
  const same = figures((t) => sameCell(t, cell));
  const near = same.length ? same : figures((t) => t.topology === cell.topology && t.workload === cell.workload);
  return near.length ? median(near) : undefined;
}

export async function measure(planner: Planner, cfg: RunConfig, ctx: RunContext, record: RunRecord, store: RunStore, save: () => void, trialFn: TrialFn = runTrial): Promise<void> {
  try {
    await takeTrials(planner, cfg, ctx, record, store, save, trialFn);
  } finally {
    // a sampler stays attached across a topology's traced trials: stop it whatever happened
    await ctx.tracer?.release();
  }
  const stopped = planner.outlook?.().stopped;
  if (!stopped) return;
  ctx.log(`adaptive plan ended: ${stopped}`);
  ctx.note?.(`the run stopped taking trials: ${stopped}`);
}

async function takeTrials(planner: Planner, cfg: RunConfig, ctx: RunContext, record: RunRecord, store: RunStore, save: () => void, trialFn: TrialFn): Promise<void> {
  const started = performance.now();
  let ran = 0;
  for (let st = planner.next(); st !== undefined && !ctx.aborted(); st = planner.next()) {
    const b = ctx.holder ? await ctx.holder.hold(st.topology) : record.built.find((x) => x.spec.name === st!.topology);
    if (!b) continue;
    if (!st.traced) await ctx.tracer?.release();
    const { done, total } = planner.progress;
    const perTrialS = ran > 0 ? (performance.now() - started) / 1000 / ran : cfg.durationS + 2;
    const outlook = planner.outlook?.();
    ctx.progress?.({ done: done - 1, total, trial: st, etaS: outlook?.etaS ?? perTrialS * (total - done + 1), ...(outlook ? { message: outlook.note } : {}) });
    const rec = await oneTrial(st, b, cfg, ctx, record, store, trialFn);
    if (!rec) continue;
    ran++;
    record.trials.push(rec);
    planner.record(rec);
    ctx.log(`trial ${st.index} ${st.topology} ${st.workload} ${st.path} block ${st.block}: ${rec.status}${rec.status === 'failed' ? ` (${rec.error})` : ''}${rec.status === 'ok' && rec.contaminated ? ` but contaminated (${rec.contaminated}): left out, re-run at most twice` : ''}${rec.status === 'ok' && rec.busy ? ` while the machine was busy (${rec.busy}): kept (--busy keep)` : ''}`);
    save();
  }
}

async function oneTrial(st: ScheduledTrial, b: BuiltTopology, cfg: RunConfig, ctx: RunContext, record: RunRecord, store: RunStore, trialFn: TrialFn): Promise<TrialRecord | undefined> {
  const route = resolveRoute(b.spec, b, st.path);
  if (!route.ok) return undefined;
  if (st.traced) ctx.log(`tracing trial ${st.index}`);
  const around = st.traced ? ctx.tracer?.forTrial(b, st, store) : undefined;
  const durationS = st.warmup ? Math.min(cfg.durationS, 2) : cfg.durationS;
  const rate = sizedByCount(workload(st.workload), durationS) ? expectedRate(record.trials, st) : undefined;
  const before = ctx.watch?.sample();
  const rec = await trialFn(st, route.plan, {
    runner: ctx.runner,
    store,
    ledger: Ledger.open(b.ledgerPath),
    durationS,
    pinning: record.pinning,
    ...(rate !== undefined ? { expectedRate: rate } : {}),
    ...(around ? { around } : {}),
  });
  if (ctx.aborted() && rec.status === 'failed') return { ...rec, error: `interrupted: ${rec.error}` };
  return before && ctx.watch ? withInterference(rec, before, ctx.watch.sample(), record, cfg.busy) : rec;
}

/**
 * The trial with what else ran meanwhile. A measured trial on a busy machine is marked
 * contaminated (left out and re-run), or with --busy keep, when other processes and not
 * the hypervisor were the cause, marked busy and counted.
 */
export function withInterference(rec: TrialRecord, before: ProcSample, after: ProcSample, record: RunRecord, policy: BusyPolicy = 'rerun'): TrialRecord {
  const interference = interferenceBetween(before, after, suiteDaemons(record));
  const why = rec.status === 'ok' && !rec.warmup ? busyReason(interference, (after.atMs - before.atMs) / 1000, after.cpus) : undefined;
  if (!why || rec.status !== 'ok') return { ...rec, interference };
  return policy === 'keep' && !why.startsWith(STEAL_REASON) ? { ...rec, interference, busy: why } : { ...rec, interference, contaminated: why };
}

/** Daemons the run started that are not its children (OVS detaches): their pids from the ledgers and pid files. */
export function suiteDaemons(record: RunRecord): Set<number> {
  const pids = new Set<number>();
  for (const b of record.built) {
    let entries: readonly LedgerEntry[];
    try {
      entries = Ledger.open(b.ledgerPath).entries;
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.kind === 'process') pids.add(e.pid);
      if (e.kind === 'ovs') for (const d of ovsPidfiles(e.dir)) pids.add(d.pid);
    }
  }
  return pids;
}
