/**
 * bench publish with two short real runs: the site opens from file:// in headless
 * Chromium with no network; the index links to a run's report and to a trend page,
 * every chart renders with marks, the comparison page shows the gate's table, and
 * nothing is requested from anywhere but the disk.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChartState, chartsDone, launchChromium, watchProblems } from '../support/browser.js';
import { bench } from '../support/cli.js';
import { scratchDir } from '../support/scratch.js';

let dir = '';
let site = '';

beforeAll(async () => {
  dir = scratchDir('site');
  site = join(dir, 'site');
  for (const name of ['first', 'second']) {
    const r = await bench(['run', '--topology', 'host,bridge', '--workload', 'tcp-rr', '--path', 'c1-peer', '--trials', '3', ...(name === 'second' ? ['--traced', '1'] : ['--no-trace']), '--warmup', '0', '--duration', '0.25', '--busy', 'keep', '--out', join(dir, 'runs', name)]);
    if (r.code !== 0) throw new Error(`bench run ${name} exited ${r.code}: ${r.stderr}`);
  }
  const p = await bench(['publish', join(dir, 'runs'), '--site', site]);
  if (p.code !== 0) throw new Error(`bench publish exited ${p.code}: ${p.stderr}`);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a published site in a real browser', () => {
  it('opens from disk: index, a run, a trend and a comparison, every chart with marks, no request off the disk, a clean console', async () => {
    const browser = await launchChromium();
    let problems: string[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      problems = watchProblems(page);
      await page.goto(`file://${site}/index.html`);
      const rows = await page.$$eval('#runs tbody tr', (trs) => trs.map((t) => t.getAttribute('data-run')));
      expect(rows).toHaveLength(2);
      // the filter hides what does not match
      await page.fill('#filter', 'no-such-word');
      expect(await page.$$eval('#runs tbody tr:not([hidden])', (t) => t.length)).toBe(0);
      await page.fill('#filter', '');
      // a run's own report, its libraries from the site's lib/
      await page.click(`a[href="runs/${rows[1]}/report.html"]`);
      const report = await chartsDone(page);
      expect(report.state.errors).toEqual([]);
      expect(report.marks.length).toBe(report.state.expected);
      for (const m of report.marks) expect(m.marks, m.id).toBeGreaterThan(0);
      await page.goBack();
      // the bridge trend: a chart per workload, a point per run
      await page.click('a[href="trends/bridge.html"]');
      const trend = await chartsDone(page);
      expect(trend.state.errors).toEqual([]);
      expect(trend.state.rendered).toBe(1);
      expect(await page.$$eval('.chart svg .mark-symbol.role-mark path', (p) => p.length)).toBe(2);
      await page.goBack();
      // the gate between the two runs
      await page.click('a[href^="compare.html#"]');
      await page.waitForFunction(() => (window as unknown as { __netbench?: ChartState }).__netbench?.shown != null, null, { timeout: 10_000 });
      const table = await page.$$eval('#result tbody tr', (trs) => trs.map((t) => `${t.children[0]!.textContent} ${t.children[1]!.textContent}`));
      expect(table).toContain('bridge tcp-rr c1-peer tps');
      expect(table.every((row) => row.startsWith('bridge tcp-rr c1-peer '))).toBe(true);
      expect(await page.textContent('#result p.claim')).toMatch(/^Baseline \S+, current \S+ \(ratios to host\): /);
    } finally {
      await browser.close();
    }
    expect(problems).toEqual([]);
    expect(readdirSync(join(site, 'lib'))).toHaveLength(3);
  });
});
