/**
 * `bench run` options, resolved once: profile defaults, then flags, validated into a
 * read-only config. Everything below the CLI sees only this.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { usageError } from '../errors.js';
import { BENCH_DIR, PROJECT_ROOT } from '../locations.js';
import { newTag } from '../lab/names.js';
import { resolveTopologyArg, resolveTopologyList } from '../topology/registry.js';
import type { TopologySpec } from '../topology/spec.js';
import { type Injection, parseInjection } from './inject.js';
import { TRAFFIC_PATHS, type TrafficPath, WORKLOAD_NAMES, type WorkloadName } from '../workloads/registry.js';

export interface Profile {
  readonly description: string;
  readonly workloads: readonly WorkloadName[];
  readonly paths: readonly TrafficPath[];
  readonly duration: number;
  readonly trials: number;
  readonly warmup: number;
  /** traced trials per cell (in addition to the untraced ones) */
  readonly traced?: number;
}

export interface RunFlags {
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
  readonly inject?: string;
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
  readonly trials: number;
  readonly warmup: number;
  readonly outDir: string;
  readonly trace: boolean;
  readonly tracedTrials: number;
  readonly inject: Injection | null;
}

export const LIMITS = { duration: [1, 600], trials: [1, 100], warmup: [0, 10] } as const;

export function profileNames(): string[] {
  return readdirSync(join(BENCH_DIR, 'profiles'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadProfile(name: string): Profile {
  const file = join(BENCH_DIR, 'profiles', `${name}.json`);
  if (!existsSync(file)) throw usageError(`unknown profile '${name}'; valid profiles: ${profileNames().join(', ')}`);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  parseList(p.workloads.join(','), WORKLOAD_NAMES, 'workload');
  parseList(p.paths.join(','), TRAFFIC_PATHS, 'path');
  return p;
}

function parseList<T extends string>(text: string, valid: readonly T[], what: string): T[] {
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
  if (!Number.isInteger(v) || v < lo || v > hi) throw usageError(`--${name} must be a whole number from ${lo} to ${hi}, got ${v}`);
  return v;
}

export function runIdFor(date: Date, tag: string): string {
  const iso = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${iso}-${tag}`;
}

export function resolveRunConfig(flags: RunFlags, now = new Date()): RunConfig {
  const profileName = flags.profile ?? 'quick';
  const profile = loadProfile(profileName);
  const topologies = resolveTopologyList(flags.topology ?? 'all');
  // every figure is a ratio to host measured in the same run: host is always in it
  const withHost = topologies.some((t) => t.driver === 'host') ? topologies : [resolveTopologyArg('host'), ...topologies];
  const tag = newTag();
  const runId = runIdFor(now, tag);
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
    warmup: inRange('warmup', flags.warmup ?? profile.warmup),
    outDir: flags.out ?? join(PROJECT_ROOT, 'reports', runId),
    trace: flags.trace ?? true,
    tracedTrials: (flags.trace ?? true) ? Math.min(profile.traced ?? 1, inRange('trials', flags.trials ?? profile.trials)) : 0,
    inject: flags.inject ? parseInjection(flags.inject) : null,
  });
}
