/**
 * What the published site knows of each run, kept small: the index row, the
 * environment fingerprint whose changes the trend pages mark, and every ratio to host
 * with its interval. Pure functions of a run's results; the site's manifest is a list of
 * these (site/publish.ts).
 */
import type { Comparison } from './compare.js';
import { claimSummary, compareAll } from '../report/verdicts.js';
import { isPrimary } from '../report/select.js';
import type { Results } from '../results/types.js';

/** What changes in it is marked on the trends: the machine, its tools, the datapaths. */
export interface Fingerprint {
  readonly kernel: string;
  readonly cpu: string;
  readonly tools: Readonly<Record<string, string | null>>;
  /** per topology, the OVS datapath (or the driver's own) */
  readonly datapaths: Readonly<Record<string, string>>;
}

export interface TrendPoint {
  readonly topology: string;
  readonly workload: string;
  readonly path: string;
  readonly metric: string;
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
}

/**
 * The gate between a run and the run published before it. `verdict`: the two runs set
 * out to measure different things (topologies, workloads, paths, trial length), the
 * current run is broken, or the worst metric's verdict. A changed kernel, CPU or datapath
 * is marked as an environment change, and the figures still compared across it.
 */
export interface GateMark {
  readonly against: string;
  readonly summary: string;
  readonly verdict: 'not comparable' | 'broken run' | 'regression' | 'undecided' | 'ok';
  readonly regressions: number;
  readonly undecided: number;
  /** "topology workload path metric" of each regression and undecided metric (none when not comparable) */
  readonly cells: Readonly<Record<string, 'regression' | 'undecided'>>;
}

export interface SiteEntry {
  readonly runId: string;
  readonly startedAt: string;
  readonly profile: string;
  /** the machine that ran it (and the peer of a real-host run); empty for runs that did not record it */
  readonly host: string;
  readonly topologies: readonly string[];
  readonly workloads: readonly string[];
  readonly status: string;
  readonly traced: boolean;
  readonly realHosts: boolean;
  readonly claim: string;
  readonly fingerprint: Fingerprint;
  readonly points: readonly TrendPoint[];
}

export function fingerprintOf(r: Results): Fingerprint {
  const e = r.environment;
  return {
    kernel: e.kernel,
    cpu: `${e.cpuCount} × ${e.cpuModel}`,
    tools: e.tools,
    datapaths: Object.fromEntries(e.topologies.flatMap((t) => (t.datapath ? [[t.name, t.datapath]] : []))),
  };
}

export function entryFor(r: Results): SiteEntry {
  const points = r.summary.flatMap((s) => (s.ratioToHost && isPrimary(s) && s.ratioToHost.median !== null ? [{ topology: s.topology, workload: s.workload, path: s.path, metric: s.metric, ratio: s.ratioToHost.median, low: s.ratioToHost.ciLow ?? s.ratioToHost.median, high: s.ratioToHost.ciHigh ?? s.ratioToHost.median }] : []));
  return {
    runId: r.runId,
    startedAt: r.startedAt,
    profile: r.profile,
    host: [r.environment.hostname, r.environment.realHosts ? `peer ${r.environment.realHosts.peer.host}` : undefined].filter((h) => h !== undefined).join(' ↔ '),
    topologies: r.config.topologies,
    workloads: r.config.workloads,
    status: r.status,
    traced: (r.tracing?.cells.length ?? 0) > 0,
    realHosts: r.environment.realHosts !== undefined,
    claim: claimSummary(compareAll(r).rows).text,
    fingerprint: fingerprintOf(r),
    points,
  };
}

/** What changed in the environment from one run to the next, in words ("kernel 6.1 → 6.18"). */
export function environmentChanges(prev: Fingerprint, cur: Fingerprint): string[] {
  const out: string[] = [];
  if (prev.kernel !== cur.kernel) out.push(`kernel ${prev.kernel} → ${cur.kernel}`);
  if (prev.cpu !== cur.cpu) out.push(`CPU ${prev.cpu} → ${cur.cpu}`);
  for (const t of new Set([...Object.keys(prev.tools), ...Object.keys(cur.tools)])) {
    const a = prev.tools[t] ?? null;
    const b = cur.tools[t] ?? null;
    if (a !== b) out.push(`${t} ${a ?? 'absent'} → ${b ?? 'absent'}`);
  }
  for (const t of new Set([...Object.keys(prev.datapaths), ...Object.keys(cur.datapaths)])) {
    const a = prev.datapaths[t];
    const b = cur.datapaths[t];
    if (a !== undefined && b !== undefined && a !== b) out.push(`${t} datapath ${a} → ${b}`);
  }
  return out;
}

/** The mark the gate against the run before leaves on the index and the trends. */
export function gateMark(c: Comparison): GateMark {
  const against = c.baseline;
  if (c.design.length) return { against, summary: `not comparable with ${against}: ${c.design.join('; ')}`, verdict: 'not comparable', regressions: 0, undecided: 0, cells: {} };
  const cells: Record<string, 'regression' | 'undecided'> = {};
  for (const r of c.rows) if (r[9] === 'regression' || r[9] === 'undecided') cells[`${r[0]} ${r[1]}`] = r[9];
  const regressions = c.rows.filter((r) => r[9] === 'regression').length;
  const undecided = c.rows.filter((r) => r[9] === 'undecided').length;
  const verdict = c.problems.length ? 'broken run' : regressions ? 'regression' : undecided ? 'undecided' : 'ok';
  return { against, summary: c.summary, verdict, regressions, undecided, cells };
}

type Dated = { readonly startedAt: string; readonly runId: string };
const byTime = (a: Dated, b: Dated) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId);

/** Runs oldest first (by start time, then id): the order of the trends and of "the run before". */
export function chronological<T extends Dated>(runs: readonly T[]): T[] {
  return [...runs].sort(byTime);
}

/** Two runs, the earlier first. */
export function inOrder<T extends Dated>(a: T, b: T): [T, T] {
  return byTime(a, b) <= 0 ? [a, b] : [b, a];
}

/** Whether a manifest entry has the fields the pages read (the manifest is the site's own file, but it sits in a directory anyone may write). */
export function isSiteEntry(x: unknown): x is SiteEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  const fp = e['fingerprint'] as Record<string, unknown> | undefined;
  return ['runId', 'startedAt', 'profile', 'host', 'status', 'claim'].every((k) => typeof e[k] === 'string') && Array.isArray(e['topologies']) && Array.isArray(e['points']) && typeof fp === 'object' && fp !== null && typeof fp['kernel'] === 'string' && typeof fp['tools'] === 'object' && typeof fp['datapaths'] === 'object';
}
