/**
 * A whole `bench run`: build every topology (each checked against its reachability
 * row), record the environment, run warm-ups and interleaved trials, write results
 * after every trial, and tear everything down whatever happens.
 */
import { cpus } from 'node:os';
import { errorMessage } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { Ledger } from '../lab/ledger.js';
import type { StateDirs } from '../lab/state.js';
import { RunStore } from '../results/store.js';
import { summarizeTrials } from '../results/summarize.js';
import { RESULTS_SCHEMA_VERSION, type NotApplicable, type Results, type TopologyEnv, type TrialRecord } from '../results/types.js';
import { type BuiltTopology, buildTopology, teardownBuilt } from '../topology/build.js';
import { measureReachability } from '../topology/reachability.js';
import type { RunConfig } from './config.js';
import { machineEnv, topologyEnv } from './env.js';
import { applyInjection } from './inject.js';
import { routeApplicability, resolveRoute } from '../topology/routes.js';
import { seededRng } from '../stats/rng.js';
import { buildSchedule, type Cell } from './schedule.js';
import { runTrial, type TrialDeps } from './trial.js';

export interface Progress {
  (event: { done: number; total: number; trial?: { topology: string; workload: string; path: string; block: number; warmup: boolean; traced: boolean }; etaS: number; message?: string }): void;
}

export interface Tracer {
  readonly available: boolean;
  readonly reason: string | null;
  /** returns a wrapper for one trial's client run, or undefined to run it untraced */
  forTrial?(built: BuiltTopology, trial: { index: number; workload: string; path: string }, store: RunStore): TrialDeps['around'];
  /** fold the tracing data into results at the end */
  finish?(results: Results): Results;
}

export interface RunDeps {
  readonly runner: Runner;
  readonly state: StateDirs;
  readonly aborted: () => boolean;
  readonly progress?: Progress;
  readonly tracer?: Tracer;
  readonly command: string;
}

export interface RunOutcome {
  readonly results: Results;
  readonly store: RunStore;
}

export async function executeRun(cfg: RunConfig, deps: RunDeps): Promise<RunOutcome> {
  const store = new RunStore(cfg.outDir);
  store.init();
  const startedAt = new Date().toISOString();
  const pinning = cpus().length >= 2 ? { client: 0, server: 1 } : null;
  const tracer = deps.tracer;
  const built: BuiltTopology[] = [];
  const topoEnv = new Map<string, Omit<TopologyEnv, 'teardownMs'> & { teardownMs: number | null }>();
  const notApplicable: NotApplicable[] = [];
  const caveats: string[] = [];
  const trials: TrialRecord[] = [];
  let status: Results['status'] = 'running';
  let statusReason: string | null = null;
  let machine: Awaited<ReturnType<typeof machineEnv>> = { kernel: '', cpuModel: '', cpuCount: 0, node: process.version, tools: {} };

  const snapshot = (): Results => ({
    schema: RESULTS_SCHEMA_VERSION,
    runId: cfg.runId,
    seed: cfg.seed,
    profile: cfg.profile,
    config: { topologies: cfg.topologies.map((t) => t.name), workloads: cfg.workloads, paths: cfg.paths, durationS: cfg.durationS, trials: cfg.trials, warmup: cfg.warmup },
    status,
    statusReason,
    startedAt,
    endedAt: status === 'running' ? null : new Date().toISOString(),
    environment: {
      ...machine,
      tracing: { enabled: cfg.trace, available: tracer?.available ?? false, reason: cfg.trace ? (tracer?.reason ?? null) : 'turned off (--no-trace)' },
      cpuPinning: pinning,
      topologies: [...topoEnv.values()],
    },
    notApplicable,
    trials,
    summary: summarizeTrials(trials),
    caveats: [...new Set([...caveats, ...[...topoEnv.values()].flatMap((t) => t.caveats.map((c) => `${t.name}: ${c}`))])],
  });
  const save = () => store.writeResults(snapshot());
  const log = (l: string) => store.log(l);

  let final: Results | undefined;
  log(`run ${cfg.runId} seed ${cfg.seed} profile ${cfg.profile}: ${deps.command}`);
  save();
  try {
    machine = await machineEnv(deps.runner);
    // build every topology; one that fails to build or shows the wrong reachability is not measured
    const measurable = new Set<string>();
    for (const [slot, spec] of cfg.topologies.entries()) {
      if (deps.aborted()) break;
      deps.progress?.({ done: 0, total: 0, etaS: 0, message: `building ${spec.name}` });
      try {
        const b = await buildTopology(spec, { runner: deps.runner, state: deps.state, tag: cfg.tag, slot, command: deps.command, aborted: deps.aborted });
        built.push(b);
        const reach = await measureReachability(deps.runner, b);
        if (cfg.inject) {
          const note = await applyInjection(deps.runner, b, cfg.inject);
          if (note) caveats.push(note);
        }
        topoEnv.set(spec.name, { ...(await topologyEnv(deps.runner, b)), teardownMs: null, reachability: reach });
        if (reach.ok) measurable.add(spec.name);
        else {
          const bad = reach.cells.filter((c) => !c.ok).map((c) => `${c.id} expected ${c.expected}, saw ${c.observed}`);
          caveats.push(`${spec.name} is broken (reachability differs from DESIGN.md: ${bad.join('; ')}); it was not measured`);
        }
        log(`built ${spec.name} in ${Math.round(b.buildMs)} ms; reachability ${reach.ok ? 'as expected' : 'WRONG'}`);
      } catch (err) {
        if (deps.aborted()) break;
        caveats.push(`${spec.name} could not be built: ${errorMessage(err)}`);
        log(`build of ${spec.name} failed: ${errorMessage(err)}`);
      }
    }
    const cells: Cell[] = [];
    for (const spec of cfg.topologies) {
      for (const path of cfg.paths) {
        const a = routeApplicability(spec, path);
        if (!a.ok) {
          notApplicable.push({ topology: spec.name, path, reason: a.reason });
          continue;
        }
        if (!measurable.has(spec.name)) {
          notApplicable.push({ topology: spec.name, path, reason: `not measured, because ${spec.name} could not be built or is broken (see caveats)` });
          continue;
        }
        for (const workload of cfg.workloads) cells.push({ topology: spec.name, workload, path });
      }
    }
    const schedule = buildSchedule(cells, cfg.trials, cfg.warmup, seededRng(cfg.seed), tracer?.available ? cfg.tracedTrials : 0);
    save();
    const perTrialGuessS = cfg.durationS + 2;
    let elapsedS = 0;
    for (const [i, st] of schedule.entries()) {
      if (deps.aborted()) break;
      const b = built.find((x) => x.spec.name === st.topology)!;
      const res = resolveRoute(b.spec, b, st.path);
      if (!res.ok) continue;
      const avg = i > 0 ? elapsedS / i : perTrialGuessS;
      deps.progress?.({ done: i, total: schedule.length, trial: st, etaS: avg * (schedule.length - i) });
      if (st.traced) log(`tracing trial ${st.index}`);
      const around = st.traced ? tracer?.forTrial?.(b, st, store) : undefined;
      const t0 = performance.now();
      const record = await runTrial(st, res.plan, {
        runner: deps.runner,
        store,
        ledger: Ledger.open(b.ledgerPath),
        durationS: st.warmup ? Math.min(cfg.durationS, 2) : cfg.durationS,
        pinning,
        ...(around ? { around } : {}),
      });
      elapsedS += (performance.now() - t0) / 1000;
      trials.push(deps.aborted() && record.status === 'failed' ? { ...record, error: `interrupted: ${record.error ?? ''}` } : record);
      log(`trial ${st.index} ${st.topology} ${st.workload} ${st.path} block ${st.block}: ${record.status}${record.error ? ` (${record.error})` : ''}`);
      save();
    }
    deps.progress?.({ done: schedule.length, total: schedule.length, etaS: 0, message: 'tearing down' });
    status = deps.aborted() ? 'interrupted' : 'complete';
    if (status === 'interrupted') statusReason = 'interrupted by a signal; the trials recorded so far are kept';
  } catch (err) {
    status = deps.aborted() ? 'interrupted' : 'failed';
    statusReason = errorMessage(err);
    throw err;
  } finally {
    for (const b of [...built].reverse()) {
      try {
        const ms = await teardownBuilt(b, deps.runner, deps.state);
        const e = topoEnv.get(b.spec.name);
        if (e) topoEnv.set(b.spec.name, { ...e, teardownMs: ms });
      } catch (err) {
        caveats.push(`teardown of ${b.spec.name} failed: ${errorMessage(err)}; run 'bench clean'`);
      }
    }
    if (status === 'running') status = 'failed';
    final = snapshot();
    if (tracer?.finish) final = tracer.finish(final);
    store.writeResults(final);
    log(`run ${status}`);
  }
  return { results: final, store };
}
