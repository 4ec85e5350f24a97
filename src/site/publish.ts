/**
 * bench publish: add runs to a static site that opens from disk or any static host.
 *
 *   <site>/index.html             every run, sortable and filterable
 *   <site>/runs/<id>/report.html  each run's report, its libraries linked from lib/
 *   <site>/runs/<id>/results.json.gz the run's results, as validated (the report links them)
 *   <site>/trends/<topology>.html the ratio to host over time, gate verdicts and environment changes marked
 *   <site>/compare.html           the gate's table between any two runs
 *   <site>/data/compare/<id>.js   the gate of a run against the runs before it (up to the comparison window)
 *   <site>/data/manifest.json     what the pages are built from (one entry per run)
 *   <site>/lib/                   vega, vega-lite, vega-embed: written once per site
 *
 * Incremental: a new run's report and comparisons are computed once; old reports are
 * never rendered again, only the index, trend and compare pages (built from the
 * manifest). A run that is not complete or fails the schema is refused with the reason,
 * and a run already in the site is not added twice.
 */
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { errorMessage, NetbenchError, usageError } from '../errors.js';
import type { GateConfig } from '../gate/gate.js';
import { LIBRARY_FILES, renderHtml } from '../report/html.js';
import { LIBRARY_SOURCES } from '../report/write.js';
import type { Results } from '../results/types.js';
import { loadResults, parseResults } from '../results/validate.js';
import { ensureDir, writeFileAtomic } from '../util/files.js';
import { type Comparison, compareRuns } from './compare.js';
import { chronological, entryFor, environmentChanges, gateMark, inOrder, isSiteEntry, type SiteEntry } from './model.js';
import { compareFile, compareScript, renderCompare, renderIndex, renderTrend, reportFile, type SiteRun, trendFile } from './pages.js';

const MANIFEST = 'data/manifest.json';
const MANIFEST_VERSION = 1;
/** Runs this far apart in time order or closer are compared when published: the gate costs a fraction of a second per pair. */
export const DEFAULT_COMPARE_WINDOW = 60;

export interface PublishOptions {
  readonly gate: GateConfig;
  readonly window?: number;
  readonly log?: (line: string) => void;
}

export interface PublishOutcome {
  readonly added: readonly string[];
  /** sources refused (not complete, not valid), each with the reason */
  readonly refused: readonly { readonly source: string; readonly why: string }[];
  /** runs already in the site */
  readonly present: readonly string[];
  readonly runs: number;
  readonly index: string;
}

/** The run directories (or results files) a source names: a run itself, or a directory of runs. */
export function runSources(source: string): string[] {
  const abs = resolve(source);
  if (!existsSync(abs)) throw usageError(`${source} does not exist (a run directory, its results.json, or a directory of runs)`);
  if (abs.endsWith('.json') || existsSync(join(abs, 'results.json'))) return [abs];
  if (!statSync(abs).isDirectory()) throw usageError(`${source} is neither a run directory nor a results.json`);
  const runs = readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(abs, e.name, 'results.json')))
    .map((e) => join(abs, e.name))
    .sort();
  if (runs.length === 0) throw usageError(`${source} holds no run (no results.json in it or in any directory directly under it)`);
  return runs;
}

function readManifest(site: string): SiteEntry[] {
  const path = join(site, MANIFEST);
  if (!existsSync(path)) {
    const stray = existsSync(site) ? readdirSync(site).filter((f) => !f.startsWith('.')) : [];
    if (stray.length) throw usageError(`${site} is not empty and is not a netbench site (no ${MANIFEST}): refusing to write into it`);
    return [];
  }
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown; runs?: unknown };
    if (m.version !== MANIFEST_VERSION || !Array.isArray(m.runs)) throw new Error(`version ${String(m.version)}, expected ${MANIFEST_VERSION}`);
    const bad = m.runs.findIndex((e) => !isSiteEntry(e));
    if (bad >= 0) throw new Error(`entry ${bad} is not a run entry`);
    return m.runs.filter(isSiteEntry);
  } catch (err) {
    throw new NetbenchError('USAGE', `the site's ${MANIFEST} cannot be read: ${errorMessage(err)}`);
  }
}

/** One publisher per site at a time: a lock file holding the pid, taken over when its process is gone. */
function lockSite(site: string): () => void {
  ensureDir(site, 'site directory');
  const path = join(site, '.publish.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) throw new NetbenchError('USAGE', `another bench publish (pid ${pid}) is writing to ${site}; wait for it`, { cause: err });
      rmSync(path, { force: true });
    }
  }
  throw new NetbenchError('IO', `cannot lock ${site} for publishing`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const RESULTS_FILE = 'results.json.gz';

/** A published run's results, checked against the schema again as it is read. */
function readPublished(site: string, runId: string): Results {
  const path = join(site, 'runs', runId, RESULTS_FILE);
  try {
    return parseResults(gunzipSync(readFileSync(path)).toString('utf8'), path);
  } catch (err) {
    throw new NetbenchError('USAGE', `the site's copy of run ${runId} cannot be read (${path}): ${errorMessage(err)}`);
  }
}

/** A run's saved comparisons (data/compare/<id>.js), by baseline. */
function readComparisons(site: string, runId: string): Record<string, Comparison> {
  const path = join(site, compareFile(runId));
  if (!existsSync(path)) return {};
  const m = /^netbenchCompare\(".*?", ([\s\S]*)\);\n?$/.exec(readFileSync(path, 'utf8'));
  return m ? (JSON.parse(m[1]!) as Record<string, Comparison>) : {};
}

/** The chart libraries, once per site (again only when the installed build differs). */
function writeLibraries(site: string): void {
  for (const [lib, file] of Object.entries(LIBRARY_FILES)) {
    const from = LIBRARY_SOURCES[lib as keyof typeof LIBRARY_FILES];
    const to = join(site, 'lib', file);
    if (existsSync(to) && statSync(to).size === statSync(from).size) continue;
    ensureDir(join(site, 'lib'), 'site library directory');
    copyFileSync(from, to);
  }
}

/** Load and check each source; refused ones say why. */
function admit(sources: readonly string[], known: ReadonlySet<string>): { fresh: Results[]; refused: { source: string; why: string }[]; present: string[] } {
  const fresh: Results[] = [];
  const refused: { source: string; why: string }[] = [];
  const present: string[] = [];
  for (const source of sources) {
    let r: Results;
    try {
      r = loadResults(source);
    } catch (err) {
      refused.push({ source, why: errorMessage(err) });
      continue;
    }
    if (r.status !== 'complete') refused.push({ source, why: `run ${r.runId} is ${r.status}, not complete${r.statusReason ? ` (${r.statusReason})` : ''}: only complete runs are published` });
    else if (known.has(r.runId) || fresh.some((f) => f.runId === r.runId)) present.push(r.runId);
    else fresh.push(r);
  }
  return { fresh, refused, present };
}

/** Each run with the gate against the run before it and what changed since. */
export function siteRuns(entries: readonly SiteEntry[], comparisons: (later: string, earlier: string) => Comparison | undefined): SiteRun[] {
  const runs = chronological(entries);
  return runs.map((e, i) => {
    const prev = runs[i - 1];
    const c = prev ? comparisons(e.runId, prev.runId) : undefined;
    return { ...e, gate: c ? gateMark(c) : null, changes: prev ? environmentChanges(prev.fingerprint, e.fingerprint) : [] };
  });
}

export function publish(sources: readonly string[], siteDir: string, opts: PublishOptions): PublishOutcome {
  const { gate, window = DEFAULT_COMPARE_WINDOW, log = () => {} } = opts;
  const site = resolve(siteDir);
  const unlock = lockSite(site);
  try {
    const entries = readManifest(site);
    const { fresh, refused, present } = admit(sources, new Set(entries.map((e) => e.runId)));
    for (const r of refused) log(`refused ${r.source}: ${r.why}`);
    writeLibraries(site);
    const loaded = new Map<string, Results>();
    const results = (id: string) => loaded.get(id) ?? loaded.set(id, readPublished(site, id)).get(id)!;
    const touched = new Map<string, Record<string, Comparison>>();
    for (const r of chronological(fresh)) {
      const dir = join(site, 'runs', r.runId);
      writeFileAtomic(join(dir, RESULTS_FILE), gzipSync(JSON.stringify(r)), 'published results');
      writeFileAtomic(join(site, reportFile(r.runId)), renderHtml(r, { linkedFrom: '../../lib' }, { nav: [{ href: '../../index.html', text: 'All runs' }, { href: '../../compare.html', text: 'Compare two runs' }], resultsHref: RESULTS_FILE }), 'published report');
      loaded.set(r.runId, r);
      // the gate against the runs already in the site within the window, kept with the later of the two
      const all = chronological([...entries, r]);
      const at = all.indexOf(r);
      const near = all.filter((_, i) => i !== at && Math.abs(i - at) <= window);
      for (const other of near) {
        const [earlier, later] = inOrder(r, results(other.runId));
        const data = touched.get(later.runId) ?? readComparisons(site, later.runId);
        data[earlier.runId] = compareRuns(earlier, later, gate).comparison;
        touched.set(later.runId, data);
      }
      entries.push(entryFor(r));
      log(`added ${r.runId} (compared with ${near.length} run(s))`);
    }
    for (const [id, data] of touched) writeFileAtomic(join(site, compareFile(id)), compareScript(id, data), 'comparison data');
    const saved = new Map<string, Record<string, Comparison>>();
    const comparison = (later: string, earlier: string) => (saved.get(later) ?? saved.set(later, touched.get(later) ?? readComparisons(site, later)).get(later)!)[earlier];
    writePages(site, siteRuns(entries, comparison), window);
    writeFileAtomic(join(site, MANIFEST), `${JSON.stringify({ version: MANIFEST_VERSION, runs: chronological(entries) })}\n`, 'site manifest');
    return { added: chronological(fresh).map((f) => f.runId), refused, present, runs: entries.length, index: join(site, 'index.html') };
  } finally {
    unlock();
  }
}

function writePages(site: string, runs: readonly SiteRun[], window: number): void {
  writeFileAtomic(join(site, 'index.html'), renderIndex(runs), 'site index');
  writeFileAtomic(join(site, 'compare.html'), renderCompare(runs, window), 'comparison page');
  for (const t of new Set(runs.flatMap((r) => r.topologies))) if (t !== 'host') writeFileAtomic(join(site, trendFile(t)), renderTrend(t, runs), 'trend page');
}
