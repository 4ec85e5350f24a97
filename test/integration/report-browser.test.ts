/**
 * The generated report, opened from file:// in headless Chromium with no network: every
 * chart renders with marks, nothing is requested from anywhere, the console stays clean.
 * A screenshot is saved beside the report.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCharts } from '../../src/report/charts.js';
import { writeReport, writeSvgs } from '../../src/report/write.js';
import { chartsDone, launchChromium, watchProblems } from '../support/browser.js';
import { fixtureResults } from '../support/fixtures.js';
import { scratchDir } from '../support/scratch.js';

export async function checkInBrowser(htmlPath: string, screenshot: string) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`file://${htmlPath}`);
    const { state, marks } = await chartsDone(page);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { state, marks, problems };
  } finally {
    await browser.close();
  }
}

describe('the HTML report in a real browser', () => {
  it.each(['small-run.json', 'traced-run.json'])('renders every chart of %s with marks, offline, with a clean console', async (fixture) => {
    const results = fixtureResults(fixture);
    const dir = scratchDir('report');
    const { html } = writeReport(results, join(dir, 'report.html'));
    const shot = join(dir, 'report.png');
    const { state, marks, problems } = await checkInBrowser(html, shot);
    expect(problems).toEqual([]);
    expect(state.errors).toEqual([]);
    expect(state.rendered).toBe(buildCharts(results).length);
    expect(marks.length).toBe(state.expected);
    for (const m of marks) expect(m.marks, m.id).toBeGreaterThan(0);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    if (fixture === 'traced-run.json') {
      expect(marks.map((m) => m.id)).toEqual(expect.arrayContaining(['chart-stack-cdf', 'chart-path-tcp-rr-c1-peer']));
      // the path diagram: a row per topology with plain-language places, each step labelled with mean and P99, one step per row highlighted
      const diagram = await inBrowser(html, () => {
        const svg = document.querySelector('#chart-path-tcp-rr-c1-peer svg');
        // a label of several lines is one text element with a tspan per line
        const texts = [...(svg?.querySelectorAll('text') ?? [])].flatMap((t) => {
          const lines = [...t.querySelectorAll('tspan')];
          return lines.length ? lines.map((l) => l.textContent ?? '') : [t.textContent ?? ''];
        });
        const red = [...(svg?.querySelectorAll('.mark-rule line, .mark-rule path') ?? [])].filter((l) => (l.getAttribute('stroke') ?? '').toLowerCase() === '#d62728').length;
        return { texts, red };
      });
      for (const word of ['macvlan-vepa', 'nat', 'bridge', 'ovs', 'uplink', 'NAT bridge', 'c1 veth, host end', 'c1 (macvlan child)', 'peer']) expect(diagram.texts.join('|'), word).toContain(word);
      expect(diagram.texts.some((t) => /^end to end: mean [\d.]+ µs, P99 [\d.]+ µs \(\d+ steps\)$/.test(t))).toBe(true);
      expect(diagram.texts.filter((t) => /^P99 [\d.]+$/.test(t)).length).toBeGreaterThan(10);
      expect(diagram.red).toBe(results.tracing!.cells.filter((c) => c.workload === 'tcp-rr' && c.path === 'c1-peer' && c.hops.some((h) => h.onPath)).length);
    }
  });

  it.each(['small-run.json', 'traced-run.json'])('renders the same charts of %s to SVG without a browser', async (fixture) => {
    const results = fixtureResults(fixture);
    const dir = scratchDir('svg');
    const files = await writeSvgs(results, dir);
    expect(files.map((f) => f.split('/').pop())).toEqual(buildCharts(results).map((c) => `${c.id}.svg`));
    for (const f of files) expect(readFileSync(f, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    if (fixture === 'traced-run.json') expect(readFileSync(join(dir, 'path-tcp-rr-c1-peer.svg'), 'utf8')).toMatch(/uplink[\s\S]*P99/);
  });
});

describe('a crafted results file cannot inject markup or script into the report', () => {
  const PAYLOAD = '</script><img src=x onerror="window.__pwned=1">';
  type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
  /** Every leaf of a JSON value with its path; `pattern` has array indices as '*'. */
  const leaves = (x: Json, path: (string | number)[] = []): { path: (string | number)[]; pattern: string; value: Json }[] => {
    if (Array.isArray(x)) return x.flatMap((v, i) => leaves(v, [...path, i]));
    if (x !== null && typeof x === 'object') return Object.entries(x).flatMap(([k, v]) => leaves(v, [...path, k]));
    return [{ path, pattern: path.map((p) => (typeof p === 'number' ? '*' : p)).join('/'), value: x }];
  };
  const setAt = (root: Json, path: (string | number)[], v: Json): void => {
    let at: Json = root;
    for (const p of path.slice(0, -1)) at = (at as Record<string | number, Json>)[p]!;
    (at as Record<string | number, Json>)[path[path.length - 1]!] = v;
  };
  const base = (): Json => fixtureResults<Json>('traced-run.json');

  it('every number field holding markup is refused; every free string field holding it renders inert', async () => {
    const { parseResults } = await import('../../src/results/validate.js');
    const all = leaves(base());
    const patterns = [...new Map(all.map((l) => [l.pattern, l])).values()];
    // numbers: one file per field pattern, each refused by the schema before anything renders
    const numeric = patterns.filter((l) => typeof l.value === 'number');
    expect(numeric.length).toBeGreaterThan(40);
    for (const l of numeric) {
      const doc = base();
      setAt(doc, l.path, PAYLOAD);
      expect(() => parseResults(JSON.stringify(doc), l.pattern), l.pattern).toThrow(/does not match the results schema/);
    }
    // strings: every field whose schema admits free text gets the payload, all at once
    const free = patterns.filter((l) => typeof l.value === 'string').filter((l) => {
      const doc = base();
      setAt(doc, l.path, `not ${PAYLOAD}`);
      try {
        parseResults(JSON.stringify(doc), 'probe');
        return true;
      } catch {
        return false;
      }
    });
    expect(free.map((l) => l.pattern)).toEqual(expect.arrayContaining(['profile', 'caveats/*', 'config/topologies/*', 'trials/*/topology', 'environment/kernel', 'tracing/cells/*/hops/*/hop']));
    const doc = base();
    const freePatterns = new Set(free.map((l) => l.pattern));
    for (const l of all) if (freePatterns.has(l.pattern)) setAt(doc, l.path, `not ${PAYLOAD} ${String(l.value)}`);
    const results = parseResults(JSON.stringify(doc), 'crafted');
    const dir = scratchDir('xss');
    const { html } = writeReport(results, join(dir, 'report.html'));
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).not.toContain('<img');
    const { state, problems } = await checkInBrowser(html, join(dir, 'report.png'));
    const injected = await inBrowser(html, () => ({
      imgs: document.querySelectorAll('img').length,
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? 0,
      scripts: [...document.querySelectorAll('script')].length,
    }));
    expect(injected).toEqual({ imgs: 0, pwned: 0, scripts: 6 });
    expect(problems).toEqual([]);
    expect(state.errors).toEqual([]);
  });
});

/** Open a page from disk and evaluate a function in it once its charts are done. */
async function inBrowser<T>(htmlPath: string, fn: () => T): Promise<T> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`file://${htmlPath}`);
    await chartsDone(page);
    return await page.evaluate(fn);
  } finally {
    await browser.close();
  }
}
