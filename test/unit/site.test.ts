/**
 * bench publish from saved runs: complete, interrupted, traced and untraced, on
 * different kernels, one with a regression. The index has the right rows and marks,
 * reports link the shared libraries, the trends carry the gate's verdicts and the
 * environment changes, any two runs can be compared, and a new run is added without
 * rendering the old ones again.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATE_CONFIG, loadGateConfig } from '../../src/gate/gate.js';
import type { Results } from '../../src/results/types.js';
import { entryFor, environmentChanges, fingerprintOf } from '../../src/site/model.js';
import { renderCompare, renderIndex, renderTrend } from '../../src/site/pages.js';
import { publish, runSources, siteRuns } from '../../src/site/publish.js';
import { syntheticResults, trial } from '../support/synthetic.js';
import { fixtureResults } from '../support/fixtures.js';
import { scratchDir } from '../support/scratch.js';

const fixture = (f: string) => fixtureResults(f);
let tmp = '';
beforeAll(() => {
  tmp = scratchDir('site');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// loaded inside the tests, not as the file loads: code run outside a test is a "static" mutant to the mutation run,
// which must then run every test for it (docs/testing.md)
const gateConfig = () => loadGateConfig(DEFAULT_GATE_CONFIG);

/** A run of host and bridge, tcp-rr, 8 blocks; bridge at `factor` of 9000 transactions/s. */
function run(runId: string, startedAt: string, kernel: string, factor: number, iperf3 = '3.12'): Results {
  const trials = Array.from({ length: 8 }, (_, b) => [
    { ...trial('host', b, 10000 + ((b * 37) % 90)), index: 2 * b, startedAt },
    { ...trial('bridge', b, 9000 * factor + ((b * 53) % 80)), index: 2 * b + 1, startedAt },
  ]).flat();
  const base = syntheticResults(trials);
  return { ...base, runId, startedAt, endedAt: startedAt, config: { ...base.config, trials: 8 }, environment: { ...base.environment, kernel, tools: { ...base.environment.tools, iperf3 } } };
}

/** Saved as a run directory, as bench run leaves it. */
function save(r: Results | object, name: string): string {
  const dir = join(tmp, 'runs', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r));
  return dir;
}

describe('a published site, from saved runs', () => {
  let site = '';
  // the runs and the site are made once, by the first test that needs them, in this order: publish six sources, then
  // publish again with one new run; each test reads what it checks from here, so that any one of them runs alone (-t).
  // Inside a test, not in beforeAll: the mutation run counts code a hook runs as reached by no test (docs/testing.md)
  let a = '';
  let b = '';
  let c = '';
  let interrupted = '';
  let broken = '';
  let first: ReturnType<typeof publish>;
  let second: ReturnType<typeof publish>;
  let oldReportMtime = { before: 0, after: 0 };
  let gate: ReturnType<typeof gateConfig>;
  const made = () => {
    if (site) return;
    gate = gateConfig();
    site = join(tmp, 'site');
    a = save(run('20261120-010000-aaaa', '2026-11-20T01:00:00.000Z', '6.1.0', 1), 'a');
    b = save(run('20261121-010000-bbbb', '2026-11-21T01:00:00.000Z', '6.18.0', 1), 'b');
    // bridge 30% slower than the day before: a regression the gate decides
    c = save(run('20261122-010000-cccc', '2026-11-22T01:00:00.000Z', '6.18.0', 0.7, '3.16'), 'c');
    const traced = save(fixture('traced-run.json'), 'traced');
    const small = save(fixture('small-run.json'), 'small');
    interrupted = save({ ...fixture('small-run.json'), runId: '20261123-010000-intr', status: 'interrupted', statusReason: 'SIGINT', endedAt: '2026-11-23T01:01:00.000Z' }, 'interrupted');
    broken = save({ ...fixture('small-run.json'), runId: '20261123-020000-brkn', trials: 'not a list' }, 'broken');
    first = publish([a, b, traced, small, interrupted, broken], site, { gate });
    const mtime = () => statSync(join(site, 'runs', '20261120-010000-aaaa', 'report.html')).mtimeMs;
    oldReportMtime = { before: mtime(), after: 0 };
    second = publish([a, c], site, { gate });
    oldReportMtime.after = mtime();
  };

  it('adds complete runs, refuses an interrupted run and an invalid file with the reason', () => {
    made();
    const out = first;
    expect(out.added).toEqual(['20261120-010000-aaaa', '20261121-010000-bbbb', '20261128-073554-xs5k', '20261129-035144-q90l']);
    expect(out.refused.map((r) => r.source)).toEqual([interrupted, broken]);
    expect(out.refused[0]!.why).toBe('run 20261123-010000-intr is interrupted, not complete (SIGINT): only complete runs are published');
    expect(out.refused[1]!.why).toMatch(/trials/);
    expect(out.runs).toBe(4);
  });

  it('writes each report with the libraries linked from one shared copy, and its results beside it', () => {
    made();
    expect(readdirSync(join(site, 'lib')).sort()).toEqual(['vega-embed.min.js', 'vega-lite.min.js', 'vega.min.js']);
    const report = readFileSync(join(site, 'runs', '20261129-035144-q90l', 'report.html'), 'utf8');
    expect(report).toContain('<script src="../../lib/vega.min.js"></script>');
    expect(report).toContain('<nav><a href="../../index.html">All runs</a>');
    // the results are linked, not embedded a second time
    expect(report).toContain('<a href="results.json.gz" download>Download the results</a>');
    expect(report).not.toContain('id="results-data"');
    expect(report.length).toBeLessThan(statSync(join(site, 'lib', 'vega.min.js')).size);
    expect(JSON.parse(gunzipSync(readFileSync(join(site, 'runs', '20261129-035144-q90l', 'results.json.gz'))).toString()).runId).toBe('20261129-035144-q90l');
  });

  it('publishing again adds the new run only: a run already there appears once, old reports are not rendered again', () => {
    made();
    const out = second;
    expect(out.added).toEqual(['20261122-010000-cccc']);
    expect(out.present).toEqual(['20261120-010000-aaaa']);
    expect(oldReportMtime.after).toBe(oldReportMtime.before);
    const index = readFileSync(join(site, 'index.html'), 'utf8');
    expect(index.match(/<tr class="[^"]*" data-run=/g)).toHaveLength(5);
  });

  it('the index: a row per run, newest first, with kernel, status, the gate against the run before and what changed', () => {
    made();
    const index = readFileSync(join(site, 'index.html'), 'utf8');
    const rows = [...index.matchAll(/<tr class="([^"]*)" data-run="([^"]+)">(.*?)<\/tr>/g)].map((m) => ({ kind: m[1], run: m[2], text: m[3]!.replace(/<[^>]+>/g, '|') }));
    expect(rows.map((r) => r.run)).toEqual(['20261129-035144-q90l', '20261128-073554-xs5k', '20261122-010000-cccc', '20261121-010000-bbbb', '20261120-010000-aaaa']);
    const row = (id: string) => rows.find((r) => r.run === id)!;
    // c: bridge 30% slower than b, decided
    expect(row('20261122-010000-cccc').kind).toBe('regression');
    expect(row('20261122-010000-cccc').text).toContain('|2 regression(s)|');
    expect(row('20261122-010000-cccc').text).toContain('iperf3 3.12 → 3.16');
    // b: the kernel changed, the figures did not
    expect(row('20261121-010000-bbbb').kind).toBe('');
    expect(row('20261121-010000-bbbb').text).toContain('|no regression|');
    expect(row('20261121-010000-bbbb').text).toContain('kernel 6.1.0 → 6.18.0');
    expect(row('20261120-010000-aaaa').text).toContain('|first run|');
    expect(row('20261129-035144-q90l').text).toContain('complete, traced');
    // a run that set out to measure other topologies than the one before is not judged against it, nor called broken
    expect(row('20261129-035144-q90l').text).toContain('|not comparable|');
    expect(row('20261129-035144-q90l').kind).toBe('');
    expect(index).toMatch(/title="not comparable with 20261128-073554-xs5k: topologies host,nat,macvlan-passthru vs host,bridge,nat,ovs,macvlan-vepa; workloads [^"]*"/);
    expect(row('20261128-073554-xs5k').text).toContain('complete, untraced');
    expect(index).toContain('<a href="runs/20261120-010000-aaaa/report.html">20261120-010000-aaaa</a>');
    expect(index).toContain('href="compare.html#20261121-010000-bbbb..20261122-010000-cccc"');
    for (const t of ['bridge', 'nat', 'ovs', 'macvlan-vepa', 'macvlan-passthru']) expect(index).toContain(`<a href="trends/${t}.html">${t}</a>`);
    expect(index).not.toContain('trends/host.html');
  });

  it('a trend page per topology: the ratio to host per run with its interval, the regression and the environment changes marked', () => {
    made();
    const html = readFileSync(join(site, 'trends', 'bridge.html'), 'utf8');
    expect(html).toContain('<script src="../lib/vega-lite.min.js"></script>');
    const specs = JSON.parse(/<script type="application\/json" id="chart-specs">(.*?)<\/script>/s.exec(html)![1]!) as { id: string; spec: { layer: { data?: { values: Record<string, unknown>[] } }[] } }[];
    const rr = specs.find((s) => JSON.stringify(s).includes('"workload":"tcp-rr"'))!;
    const points = rr.spec.layer[3]!.data!.values;
    const gates = Object.fromEntries(points.map((p) => [p['run'], p['gate']]));
    expect(gates).toMatchObject({ '20261120-010000-aaaa': 'first run', '20261121-010000-bbbb': 'ok', '20261122-010000-cccc': 'regression' });
    const c = points.find((p) => p['run'] === '20261122-010000-cccc')!;
    expect(c['ratio']).toBeGreaterThan(0.6);
    expect(c['ratio']).toBeLessThan(0.7);
    expect(Number(c['low'])).toBeLessThanOrEqual(Number(c['ratio']));
    const changes = rr.spec.layer[4]!.data!.values.map((v) => v['change']);
    expect(changes).toContain('kernel 6.1.0 → 6.18.0');
    expect(changes).toContain('iperf3 3.12 → 3.16');
    expect(existsSync(join(site, 'trends', 'host.html'))).toBe(false);
  });

  it('any two runs can be compared: the gate table of the later against the earlier is in the site', () => {
    made();
    const data = readFileSync(join(site, 'data', 'compare', '20261122-010000-cccc.js'), 'utf8');
    const m = /^netbenchCompare\("20261122-010000-cccc", (.*)\);\n$/s.exec(data)!;
    const byBase = JSON.parse(m[1]!) as Record<string, { summary: string; rows: unknown[][] }>;
    expect(Object.keys(byBase).sort()).toEqual(['20261120-010000-aaaa', '20261121-010000-bbbb']);
    expect(byBase['20261121-010000-bbbb']!.summary).toMatch(/^REGRESSION in 2 metric\(s\): bridge tcp-rr c1-peer (tps|p99_us) [−+]\d\d\.\d%; bridge tcp-rr c1-peer (tps|p99_us)/);
    expect(byBase['20261121-010000-bbbb']!.rows.map((r) => [r[0], r[1], r[9]])).toEqual([['bridge tcp-rr c1-peer', 'tps', 'regression'], ['bridge tcp-rr c1-peer', 'p99_us', 'regression']]);
    // a later-published run earlier in time is compared too, kept with the later run of the pair
    expect(Object.keys(JSON.parse(/, (.*)\);\n$/s.exec(readFileSync(join(site, 'data', 'compare', '20261129-035144-q90l.js'), 'utf8'))![1]!))).toHaveLength(4);
    const page = readFileSync(join(site, 'compare.html'), 'utf8');
    expect(page.match(/<option value=/g)).toHaveLength(2 * 5);
  });

  it('compares a new run only with the runs within the window around it, and the page says why a pair is missing', () => {
    made();
    const narrow = join(tmp, 'narrow');
    publish([a, b, c], narrow, { gate, window: 1 });
    const keys = (id: string) => Object.keys(JSON.parse(/, (.*)\);\n$/s.exec(readFileSync(join(narrow, 'data', 'compare', `${id}.js`), 'utf8'))![1]!));
    expect(keys('20261122-010000-cccc')).toEqual(['20261121-010000-bbbb']);
    expect(keys('20261121-010000-bbbb')).toEqual(['20261120-010000-aaaa']);
    expect(readFileSync(join(narrow, 'compare.html'), 'utf8')).toContain('for runs up to <span id="window">1</span> apart in time order');
  });

  it('refuses to write into a directory that is not a site', () => {
    made();
    const other = join(tmp, 'elsewhere');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(() => publish([a], other, { gate })).toThrow(/is not empty and is not a netbench site/);
    expect(readdirSync(other)).toEqual(['notes.txt']);
  });

  it('finds the runs in a directory of runs', () => {
    made();
    expect(runSources(join(tmp, 'runs')).map((d) => d.split('/').pop())).toEqual(['a', 'b', 'broken', 'c', 'interrupted', 'small', 'traced']);
    expect(runSources(a)).toEqual([a]);
    expect(() => runSources(join(tmp, 'nothing'))).toThrow(/does not exist/);
  });
});

describe('site model', () => {
  it('names what changed in the environment, tool by tool', () => {
    const one = fingerprintOf(run('x', '2026-11-20T01:00:00.000Z', '6.1', 1));
    const two = { ...one, cpu: '4 × y', tools: { ...one.tools, bpftrace: 'v0.17.0' }, datapaths: { ovs: 'netdev' } };
    expect(environmentChanges(one, two)).toEqual(['CPU 2 × x → 4 × y', 'bpftrace absent → v0.17.0']);
    expect(environmentChanges({ ...two, datapaths: { ovs: 'system' } }, two)).toEqual(['ovs datapath system → netdev']);
  });

  it('a text from a results file cannot become markup in the index, a trend or the compare page', () => {
    const evil = run('20261120-010000-evil', '2026-11-20T01:00:00.000Z', '<img src=x onerror=alert(1)>', 1);
    const runs = siteRuns([{ ...entryFor(evil), profile: '</script><script>alert(2)</script>' }], () => undefined);
    for (const html of [renderIndex(runs), renderTrend('bridge', runs), renderCompare(runs, 60)]) {
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<script>alert(2)');
    }
    expect(renderIndex(runs)).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
