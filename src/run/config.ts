/**
 * `bench run` options, resolved once: profile defaults, then flags, validated into a
 * read-only config. Everything below the CLI sees only this.
 */
import type { RealHostFlags } from './peer.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { NetbenchError, usageError } from '../errors.js';
import { BENCH_DIR, PROJECT_ROOT, SCHEMA_DIR } from '../locations.js';
import { newTag } from '../lab/names.js';
import { parseBuilders, resolveTopologyArg, resolveTopologyList } from '../topology/registry.js';
import type { TopologySpec } from '../topology/spec.js';
import { type Injection, parseInjection } from './inject.js';
import { type ComparisonSides, comparisonSides } from '../results/comparisons.js';
import { DEFAULT_ESTIMATOR, type Estimator, ESTIMATORS } from '../results/verdict.js';
import { parseDuration } from '../util/format.js';
import { LIBBPF_VARIANTS, type LibbpfVariant } from '../trace/libbpf.js';
import { defaultTracer, TRACERS, type TracerName } from '../trace/tracer.js';
import { TRAFFIC_PATHS, type TrafficPath, WORKLOAD_NAMES, type WorkloadName } from '../workloads/registry.js';

export interface Profile {
  readonly description: string;
  readonly workloads: readonly WorkloadName[];
  readonly paths: readonly TrafficPath[];
  readonly duration: number;
  readonly trials: number;
  readonly warmup: number;
  /** tracing blocks: each pairs every cell's untraced trial with a traced one */
  readonly traced?: number;
  /** stop adaptively, within this time ("3m"); `trials` is then the most blocks. Without it, `trials` is a fixed count. */
  readonly budget?: string;
  /** seconds of the host path's noise profile taken before the trials of a run with a budget (0: none) */
  readonly noise?: number;
}

export interface RunFlags extends RealHostFlags {
  readonly topology?: string;
  readonly profile?: string;
  readonly workload?: string;
  readonly path?: string;
  readonly trials?: number;
  readonly duration?: number;
  readonly warmup?: number;
  readonly seed?: number;
  readonly out?: string;
  readonly trace?: boolean;
  /** tracing blocks (see Profile.traced) */
  readonly traced?: number;
  /** another bpftrace program with the arguments of bench/trace/path-latency.bt (to compare tracers) */
  readonly traceProgram?: string;
  /** the observer: libbpf (compiled programs on BTF tracepoints) or bpftrace */
  readonly tracer?: string;
  /** the compiled observer's variant: full, attached-only (the same probes returning at once) or no-stats */
  readonly traceVariant?: string;
  readonly inject?: string;
  /** stop adaptively within this time ("3m", "90s") */
  readonly budget?: string;
  /** baselines the named topologies are judged against, beside host */
  readonly against?: string;
  /** who builds the topologies (`--builder docker,cni`) */
  readonly builder?: string;
  /** replace an existing run directory given with --out */
  readonly force?: boolean;
  /** do not hold the CPUs out of idle sleep while measuring */
  readonly deepIdle?: boolean;
  /** what a trial taken while other processes used the CPU becomes: rerun (left out, taken again; the default) or keep (counted, and said) */
  readonly busy?: string;
  /** say nothing while the run works (no progress line, terminal or not) */
  readonly quiet?: boolean;
  /** how a block orders its trials: chain (each cell once, comparisons side by side where they can be), adjacent (every comparison back to back, cells repeat) or block (each cell once, shuffled) */
  readonly pairing?: string;
  /** seconds of the host path's noise profile before the trials (0: none) */
  readonly noiseProfile?: number;
  /** how each comparison's interval is made: robust (the default) or mean */
  readonly estimator?: string;
}

export interface RunConfig {
  readonly runId: string;
  readonly tag: string;
  readonly seed: number;
  readonly profile: string;
  readonly topologies: readonly TopologySpec[];
  readonly workloads: readonly WorkloadName[];
  readonly paths: readonly TrafficPath[];
  readonly durationS: number;
  /** a fixed count of blocks, or (with a budget) the most blocks an adaptive run may take */
  readonly trials: number;
  /** seconds the whole run may take when it stops adaptively; null for a fixed count of trials */
  readonly budgetS: number | null;
  /** which topologies are judged against which */
  readonly sides: ComparisonSides;
  readonly warmup: number;
  readonly outDir: string;
  /** --out names an earlier run's directory and --force says to replace it */
  readonly replaceOut: boolean;
  readonly trace: boolean;
  /** the first blocks, in which every cell's untraced trial is paired with a traced one */
  readonly tracedBlocks: number;
  /** the bpftrace program, when not the suite's own */
  readonly traceProgram: string | null;
  /** the observer (trace/tracer.ts): named, or the default for this machine */
  readonly tracer: TracerName;
  /** why this observer: named on the command line, or why the default is what it is */
  readonly tracerWhy: string;
  /** the compiled observer's variant */
  readonly traceVariant: LibbpfVariant;
  readonly inject: Injection | null;
  /** the CPU-latency request (µs) held from before the warm-up to after the last trial; null with --deep-idle */
  readonly cpuLatencyUs: number | null;
  /** how plain blocks order their trials (run/schedule.ts): chain, adjacent or block */
  readonly pairing: Pairing;
  /** seconds of the host path streamed in 100 ms steps before the trials, for the run's noise profile; 0 for none */
  readonly noiseS: number;
  /** a trial taken while other processes used the CPU: left out and re-run (rerun), or counted and said (keep) */
  readonly busy: BusyPolicy;
  /** how each comparison's interval is made, for the planner's stops and the verdicts (results/verdict.ts) */
  readonly estimator: Estimator;
}

export const BUSY_POLICIES = ['rerun', 'keep'] as const;
export type BusyPolicy = (typeof BUSY_POLICIES)[number];

export const PAIRINGS = ['chain', 'adjacent', 'block'] as const;
export type Pairing = (typeof PAIRINGS)[number];

/** the shortest trial: below a second every trial is sized by count (workloads/registry.ts, `isShort`) */
export const MIN_DURATION_S = 0.2;
export const LIMITS = { duration: [MIN_DURATION_S, 600], trials: [1, 100], warmup: [0, 10], traced: [1, 100], 'noise-profile': [0, 120] } as const;
/** the shortest budget that can hold a build, one block and a teardown */
export const MIN_BUDGET_S = 20;
const MAX_BUDGET_S = 24 * 3600;

function budgetSeconds(text: string, source: string): number {
  const s = parseDuration(text);
  if (s === undefined || s < MIN_BUDGET_S || s > MAX_BUDGET_S) throw usageError(`${source} must be a duration from ${MIN_BUDGET_S}s to 24h such as 3m, 90s or 1m30s, got '${text}'`);
  return s;
}

/** The shortest noise profile worth taking: two 1-s figures 1 s apart need 3 s for pairs enough. */
export const MIN_NOISE_S = 3;

/**
 * A run with a budget takes its profile's noise profile (it tells what the budget can
 * decide), but never more than a twentieth of the budget, and none if that leaves less
 * than MIN_NOISE_S; a fixed count of trials takes none unless asked.
 */
export function noiseSeconds(profileNoiseS: number, budgetS: number | null): number {
  if (budgetS === null) return 0;
  const s = Math.min(profileNoiseS, Math.floor(budgetS / 20));
  return s >= MIN_NOISE_S ? s : 0;
}

export function profileNames(): string[] {
  return readdirSync(join(BENCH_DIR, 'profiles'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

const MAX_PROFILE_BYTES = 64 * 1024;
let profileValidator: ValidateFunction<Profile> | undefined;

function validateProfile(data: unknown, source: string): Profile {
  if (!profileValidator) {
    const schema: unknown = JSON.parse(readFileSync(join(SCHEMA_DIR, 'profile.schema.json'), 'utf8'));
    if (typeof schema !== 'object' || schema === null) throw new NetbenchError('IO', 'schemas/profile.schema.json is not a JSON object');
    profileValidator = new Ajv({ allErrors: true, strict: false, strictNumbers: true }).compile<Profile>(schema);
  }
  if (profileValidator(data)) return data;
  const errs = (profileValidator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
  throw usageError(`profile ${source} is invalid: ${errs.slice(0, 4).join('; ')} (schemas/profile.schema.json)`);
}

/**
 * A profile by name (a file in bench/profiles) or an explicit path to a profile file
 * (containing '/' or ending in .json); either is checked against the profile schema.
 */
export function loadProfile(nameOrPath: string): Profile {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  if (!isPath && !/^[a-z0-9][a-z0-9-]*$/.test(nameOrPath)) throw usageError(`unknown profile '${nameOrPath}'; valid profiles: ${profileNames().join(', ')} (or a path to a profile file)`);
  const file = isPath ? nameOrPath : join(BENCH_DIR, 'profiles', `${nameOrPath}.json`);
  if (!existsSync(file)) throw usageError(isPath ? `profile file ${file} does not exist` : `unknown profile '${nameOrPath}'; valid profiles: ${profileNames().join(', ')} (or a path to a profile file)`);
  const st = statSync(file);
  if (!st.isFile() || st.size > MAX_PROFILE_BYTES) throw usageError(`profile ${file} is not a profile file (a regular file of at most ${MAX_PROFILE_BYTES / 1024} KiB)`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw usageError(`profile ${file} is not valid JSON`);
  }
  return validateProfile(data, file);
}

function busyPolicy(text: string): BusyPolicy {
  const p = BUSY_POLICIES.find((x) => x === text);
  if (p === undefined) throw usageError(`--busy must be rerun (leave out and re-run a trial taken while other processes used the CPU) or keep (count it and say so), got '${text}'`);
  return p;
}

/** One name from a list of valid ones. */
function parseOne<T extends string>(text: string, valid: readonly T[], what: string): T {
  const known = valid.find((v) => v === text.trim());
  if (known === undefined) throw usageError(`--${what} must be one of ${valid.join(', ')}, got '${text}'`);
  return known;
}

export function parseList<T extends string>(text: string, valid: readonly T[], what: string): T[] {
  if (text === 'all') return [...valid];
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw usageError(`no ${what} named`);
  const out: T[] = [];
  for (const i of items) {
    const known = valid.find((v) => v === i);
    if (known === undefined) throw usageError(`unknown ${what} '${i}'; valid ${what}s: ${valid.join(', ')}`);
    if (!out.includes(known)) out.push(known);
  }
  return out;
}

function inRange(name: keyof typeof LIMITS, v: number): number {
  const [lo, hi] = LIMITS[name];
  if (name === 'duration') return durationInRange(v);
  if (!Number.isInteger(v) || v < lo || v > hi) throw usageError(`--${name} must be a whole number from ${lo} to ${hi}, got ${v}`);
  return v;
}

/** Seconds per trial: whole seconds, or a fraction of one from 0.2 (in steps of 0.05), when trials are sized by count. */
export function durationInRange(v: number): number {
  const [lo, hi] = LIMITS.duration;
  const short = v < 1 && Math.abs(v * 20 - Math.round(v * 20)) < 1e-9;
  if (!(v >= lo && v <= hi) || !(Number.isInteger(v) || short)) throw usageError(`--duration must be whole seconds from 1 to ${hi}, or a fraction of a second from ${lo} in steps of 0.05 (trials sized by count), got ${v}`);
  return v;
}

/**
 * Whether --out may be used: a new or empty directory, or (with --force) an earlier
 * run's directory, which is then replaced. Anything else is refused, never overwritten.
 */
export function checkOutDir(dir: string, force: boolean): 'new' | 'run' {
  if (!existsSync(dir)) return 'new';
  if (!statSync(dir).isDirectory()) throw usageError(`--out ${dir} exists and is not a directory`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return 'new';
  if (!entries.includes('results.json')) throw usageError(`--out ${dir} is a non-empty directory that holds no netbench run; choose an empty or new directory`);
  if (!force) throw usageError(`--out ${dir} already holds a run; choose another directory, or pass --force to replace it`);
  return 'run';
}

export function runIdFor(date: Date, tag: string): string {
  const iso = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${iso}-${tag}`;
}

/** The observer and its variant: --trace-program is a bpftrace program, so it means bpftrace; a variant means the compiled one. */
function resolveTracer(flags: RunFlags): { tracer: TracerName; tracerWhy: string; traceVariant: LibbpfVariant } {
  const named = flags.tracer === undefined ? undefined : parseOne(flags.tracer, TRACERS, 'tracer');
  const traceVariant = flags.traceVariant === undefined ? 'full' : parseOne(flags.traceVariant, LIBBPF_VARIANTS, 'trace-variant');
  if (flags.traceProgram !== undefined && named === 'libbpf') throw usageError('--trace-program names a bpftrace program: it goes with --tracer bpftrace, not libbpf');
  if (flags.traceVariant !== undefined && (named === 'bpftrace' || flags.traceProgram !== undefined)) throw usageError('--trace-variant is a variant of the compiled observer: it goes with --tracer libbpf');
  if (named) return { tracer: named, tracerWhy: 'named with --tracer', traceVariant };
  if (flags.traceProgram !== undefined) return { tracer: 'bpftrace', tracerWhy: '--trace-program names a bpftrace program', traceVariant };
  if (flags.traceVariant !== undefined) return { tracer: 'libbpf', tracerWhy: '--trace-variant names a variant of the compiled observer', traceVariant };
  const d = defaultTracer();
  return { tracer: d.name, tracerWhy: d.why, traceVariant };
}

function traceProgramFile(file: string): string {
  const abs = resolve(file);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw usageError(`--trace-program ${file}: no such file`);
  return abs;
}

export function resolveRunConfig(flags: RunFlags, now = new Date()): RunConfig {
  const profileName = flags.profile ?? 'quick';
  const profile = loadProfile(profileName);
  const named = (flags.topology ?? 'all') === 'all' ? 'all' : 'some';
  const builders = flags.builder !== undefined ? parseBuilders(flags.builder) : undefined;
  const against = flags.against ? resolveTopologyList(flags.against, builders) : [];
  const listed = resolveTopologyList(flags.topology ?? 'all', builders);
  const topologies = [...listed, ...against.filter((a) => !listed.some((t) => t.name === a.name))];
  // every figure is a ratio to host measured in the same run: host is always in it
  const withHost = topologies.some((t) => t.driver === 'host') ? topologies : [resolveTopologyArg('host'), ...topologies];
  // another builder's `all`: its macvlan topologies are the challengers, its other styles the incumbents
  const builderAgainst = builders && named === 'all' ? listed.filter((t) => t.driver !== 'macvlan' && t.driver !== 'host').map((t) => t.name) : undefined;
  const sides = comparisonSides(withHost.map((t) => t.name), named, flags.against ? against.map((t) => t.name) : builderAgainst);
  if (flags.trials !== undefined && flags.budget !== undefined) throw usageError('--trials (a fixed count of trials) and --budget (stop adaptively within a time) exclude each other; give one');
  // --trials keeps its meaning, a fixed count; otherwise a budget (flag or profile) makes the run adaptive
  const budgetText = flags.trials !== undefined ? undefined : (flags.budget ?? profile.budget);
  const budgetS = budgetText === undefined ? null : budgetSeconds(budgetText, flags.budget ? '--budget' : `profile ${profileName}'s budget`);
  const tag = newTag();
  const runId = runIdFor(now, tag);
  const outDir = flags.out ?? join(PROJECT_ROOT, 'reports', runId);
  const outState = checkOutDir(outDir, flags.force ?? false);
  return Object.freeze({
    runId,
    tag,
    seed: flags.seed ?? randomInt(2 ** 31),
    profile: profileName,
    topologies: withHost,
    workloads: flags.workload ? parseList(flags.workload, WORKLOAD_NAMES, 'workload') : [...profile.workloads],
    paths: flags.path ? parseList(flags.path, TRAFFIC_PATHS, 'path') : [...profile.paths],
    durationS: inRange('duration', flags.duration ?? profile.duration),
    trials: inRange('trials', flags.trials ?? profile.trials),
    budgetS,
    sides,
    warmup: inRange('warmup', flags.warmup ?? profile.warmup),
    outDir,
    replaceOut: outState === 'run',
    trace: flags.trace ?? true,
    tracedBlocks: (flags.trace ?? true) ? Math.min(inRange('traced', flags.traced ?? profile.traced ?? 1), inRange('trials', flags.trials ?? profile.trials)) : 0,
    traceProgram: flags.traceProgram === undefined ? null : traceProgramFile(flags.traceProgram),
    ...resolveTracer(flags),
    inject: flags.inject ? parseInjection(flags.inject) : null,
    cpuLatencyUs: flags.deepIdle ? null : 0,
    pairing: flags.pairing === undefined ? 'chain' : parseList(flags.pairing, PAIRINGS, 'pairing')[0]!,
    noiseS: inRange('noise-profile', flags.noiseProfile ?? noiseSeconds(profile.noise ?? 0, budgetS)),
    busy: flags.busy === undefined ? 'rerun' : busyPolicy(flags.busy),
    estimator: flags.estimator === undefined ? DEFAULT_ESTIMATOR : parseList(flags.estimator, ESTIMATORS, 'estimator')[0]!,
  });
}
