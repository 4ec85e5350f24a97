/** bench topology list | up | down | check | time */
import { Bench } from 'tinybench';
import { NetbenchError, errorMessage, usageError } from '../../errors.js';
import { Ledger } from '../../lab/ledger.js';
import { newTag } from '../../lab/names.js';
import { teardown } from '../../lab/teardown.js';
import { preflight, requireRoot } from '../../tools.js';
import { toolsFor } from '../../topology/needs.js';
import { type BuiltTopology, buildTopology, teardownBuilt } from '../../topology/build.js';
import { driverFor } from '../../topology/builders.js';
import type { ReachabilityResult } from '../../results/types.js';
import { expectedMatrix, measureReachability } from '../../topology/reachability.js';
import { builtinTopologies, everyBuiltinTopology, parseBuilders, resolveTopologyArg, resolveTopologyList } from '../../topology/registry.js';
import type { TopologySpec } from '../../topology/spec.js';
import { table } from '../../util/table.js';
import type { Session } from '../session.js';

function pickTopologies(name: string | undefined, all: boolean | undefined, builder?: string): TopologySpec[] {
  if (all && name) throw usageError('give a topology name or --all, not both');
  if (builder !== undefined) {
    if (!all && !name) throw usageError('name a topology or pass --all');
    return resolveTopologyList(all ? 'all' : name!, parseBuilders(builder));
  }
  if (all) return builtinTopologies();
  if (!name) throw usageError('name a topology or pass --all');
  return [resolveTopologyArg(name)];
}

export function listTopologies(session: Session, opts: { json?: boolean }): number {
  const specs = everyBuiltinTopology();
  if (opts.json) {
    const data = specs.map((s) => ({
      name: s.name,
      driver: s.driver,
      mode: s.mode ?? null,
      description: s.description,
      containers: s.containers.map((c) => c.name),
      needs: toolsFor([s]),
      builder: s.builder,
      hairpin: driverFor(s).hairpin(s),
      expected: expectedMatrix(s),
      file: s.source,
    }));
    session.io.out(`${JSON.stringify(data, null, 2)}\n`);
    return 0;
  }
  const rows = specs.map((s) => [s.name, s.builder, s.driver, s.mode ?? '-', String(s.containers.length), toolsFor([s]).join(' '), s.description]);
  session.io.out(table(['topology', 'builder', 'style', 'mode', 'containers', 'needs', 'description'], rows));
  return 0;
}

export function describeBuilt(b: BuiltTopology): object {
  return {
    topology: b.spec.name,
    runTag: b.tag,
    namespaces: { hostA: b.lan.hostA, switch: b.lan.switch?.ns ?? null, peer: b.lan.peerNs, containers: Object.fromEntries(b.containers.map((c, i) => [b.spec.containers[i]!.name, c.netns])) },
    endpoints: { hostA: b.hostA, peer: b.peer, containers: b.containers },
    interfaces: b.interfaces,
    hairpin: b.hairpin,
    ...(b.datapath ? { datapath: b.datapath } : {}),
    caveats: b.caveats,
    teardown: `bench topology down ${b.spec.name}`,
  };
}

function printBuilt(session: Session, b: BuiltTopology): void {
  const io = session.io;
  io.out(`${b.spec.name} is up (run ${b.tag}, built in ${Math.round(b.buildMs)} ms)\n\n`);
  const rows = b.interfaces.map((i) => [i.netns, i.name, i.role, i.address ?? '-']);
  io.out(table(['namespace', 'interface', 'role', 'address'], rows));
  if (b.datapath) io.out(`\nOpen vSwitch datapath: ${b.datapath}\n`);
  for (const c of b.caveats) io.out(`note: ${c}\n`);
  const c1 = b.containers[0];
  io.out(`\nexplore:  ip netns exec ${c1?.netns ?? b.hostA.netns} ping ${b.peer.address}\n`);
  io.out(`tear down: bench topology down ${b.spec.name}\n`);
}

export async function topologyUp(session: Session, name: string, opts: { json?: boolean }): Promise<number> {
  const spec = resolveTopologyArg(name);
  preflight(toolsFor([spec]));
  return session.withLock(`bench topology up ${name}`, async () => {
    const running = Ledger.list(session.state.ledgers).filter((l) => l.header?.topology === spec.name);
    if (running.length > 0) throw usageError(`${spec.name} is already up (run ${running[0]!.header!.tag}); 'bench topology down ${spec.name}' first`);
    const built = await buildTopology(spec, { runner: session.runner, state: session.state, tag: newTag(), slot: 0, command: `bench topology up ${name}`, aborted: () => session.aborted });
    if (session.aborted) {
      await teardownBuilt(built, session.runner, session.state);
      session.throwIfAborted();
    }
    if (opts.json) session.io.out(`${JSON.stringify(describeBuilt(built), null, 2)}\n`);
    else printBuilt(session, built);
    return 0;
  });
}

export async function topologyDown(session: Session, name: string | undefined, opts: { all?: boolean }): Promise<number> {
  if (opts.all && name) throw usageError('give a topology name or --all, not both');
  if (!opts.all && !name) throw usageError('name a topology or pass --all');
  requireRoot();
  return session.withLock(`bench topology down ${name ?? '--all'}`, async () => {
    const ledgers = Ledger.list(session.state.ledgers).filter((l) => opts.all || l.header?.topology === name || (name !== undefined && l.header?.topology === safeName(name)));
    if (ledgers.length === 0) {
      session.io.err(`nothing to tear down${name ? ` for '${name}'` : ''}\n`);
      return 0;
    }
    const errors: string[] = [];
    for (const l of ledgers) {
      const started = performance.now();
      try {
        await teardown(l, { runner: session.runner, stateRoot: session.state.root });
        session.io.out(`${l.header?.topology ?? l.path} (run ${l.header?.tag ?? '?'}) torn down in ${Math.round(performance.now() - started)} ms\n`);
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }
    if (errors.length) throw new NetbenchError('COMMAND_FAILED', errors.join('; '));
    return 0;
  });
}

function safeName(arg: string): string {
  try {
    return resolveTopologyArg(arg).name;
  } catch {
    return arg;
  }
}

export interface CheckOutcome {
  readonly result: ReachabilityResult;
  readonly buildMs: number;
  readonly teardownMs: number;
  readonly caveats: readonly string[];
  readonly datapath?: string;
}

/** Build, measure, tear down: one topology's check. */
export async function checkOne(session: Session, spec: TopologySpec, tag: string, slot: number): Promise<CheckOutcome> {
  const built = await buildTopology(spec, { runner: session.runner, state: session.state, tag, slot, command: `bench topology check ${spec.name}`, aborted: () => session.aborted });
  let result: ReachabilityResult | undefined;
  let teardownMs = 0;
  try {
    session.throwIfAborted();
    result = await measureReachability(session.runner, built);
  } finally {
    teardownMs = await teardownBuilt(built, session.runner, session.state);
  }
  session.throwIfAborted();
  return { result, buildMs: built.buildMs, teardownMs, caveats: built.caveats, ...(built.datapath ? { datapath: built.datapath } : {}) };
}

export async function topologyCheck(session: Session, name: string | undefined, opts: { all?: boolean; builder?: string; json?: boolean }): Promise<number> {
  const specs = pickTopologies(name, opts.all, opts.builder);
  preflight(toolsFor(specs));
  return session.withLock(`bench topology check ${name ?? '--all'}`, async () => {
    const tag = newTag();
    const outcomes: CheckOutcome[] = [];
    for (const [i, spec] of specs.entries()) {
      if (session.io.isTTY && !opts.json) session.io.err(`checking ${spec.name} (${i + 1}/${specs.length})...\n`);
      outcomes.push(await checkOne(session, spec, tag, i));
    }
    const ok = outcomes.every((o) => o.result.ok);
    if (opts.json) {
      session.io.out(`${JSON.stringify({ ok, topologies: outcomes }, null, 2)}\n`);
    } else {
      for (const o of outcomes) {
        session.io.out(`\n${o.result.topology}: ${o.result.ok ? 'matches' : 'DOES NOT MATCH'} the expected matrix (build ${Math.round(o.buildMs)} ms, teardown ${Math.round(o.teardownMs)} ms)\n`);
        session.io.out(table(['path', 'expected', 'observed', '', 'evidence'], o.result.cells.map((c) => [c.id, c.expected, c.observed, c.ok ? 'ok' : 'MISMATCH', c.detail])));
        for (const c of o.caveats) session.io.out(`note: ${c}\n`);
      }
      const bad = outcomes.filter((o) => !o.result.ok).map((o) => o.result.topology);
      session.io.out(`\n${outcomes.length - bad.length}/${outcomes.length} topologies match the expected reachability matrix (docs/methodology.md)${bad.length ? `; broken: ${bad.join(', ')}` : ''}\n`);
    }
    return ok ? 0 : 1;
  });
}

/** Build and teardown time per topology, with tinybench (median of several iterations). */
export async function topologyTime(session: Session, name: string | undefined, opts: { all?: boolean; iterations: number; json?: boolean }): Promise<number> {
  const specs = pickTopologies(name, opts.all);
  preflight(toolsFor(specs));
  return session.withLock(`bench topology time ${name ?? '--all'}`, async () => {
    const tag = newTag();
    const rows: { topology: string; phase: string; median: number; p75: number; n: number }[] = [];
    for (const [i, spec] of specs.entries()) {
      let built: BuiltTopology | undefined;
      const bench = new Bench({ iterations: opts.iterations, time: 0, warmupIterations: 0, warmup: false, throws: true });
      // build and teardown are timed as separate tasks; each leaves the lab as it found it
      bench.add(`build`, async () => {
        built = await buildTopology(spec, { runner: session.runner, state: session.state, tag, slot: i, command: 'bench topology time', aborted: () => session.aborted });
      }, { afterEach: async () => { if (built) await teardownBuilt(built, session.runner, session.state); built = undefined; } });
      bench.add(`teardown`, async () => {
        await teardownBuilt(built!, session.runner, session.state);
        built = undefined;
      }, { beforeEach: async () => { built = await buildTopology(spec, { runner: session.runner, state: session.state, tag, slot: i, command: 'bench topology time', aborted: () => session.aborted }); } });
      if (session.io.isTTY) session.io.err(`timing ${spec.name} (${opts.iterations} iterations)...\n`);
      await bench.run();
      session.throwIfAborted();
      for (const task of bench.tasks) {
        const r = task.result as { state: string; latency?: { p50?: number; p75?: number; samplesCount?: number }; error?: unknown };
        if (r.state !== 'completed' || !r.latency) throw new NetbenchError('BUILD_FAILED', `timing ${spec.name} ${task.name} failed: ${errorMessage(r.error)}`);
        rows.push({ topology: spec.name, phase: task.name, median: r.latency.p50 ?? NaN, p75: r.latency.p75 ?? NaN, n: r.latency.samplesCount ?? opts.iterations });
      }
    }
    if (opts.json) session.io.out(`${JSON.stringify(rows, null, 2)}\n`);
    else session.io.out(table(['topology', 'phase', 'median ms', 'p75 ms', 'n'], rows.map((r) => [r.topology, r.phase, r.median.toFixed(0), r.p75.toFixed(0), String(r.n)])));
    return 0;
  });
}
