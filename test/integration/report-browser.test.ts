/**
 * The generated report, opened from file:// in headless Chromium with no network: every
 * chart renders with marks, nothing is requested from anywhere, the console stays clean.
 * A screenshot is saved beside the report.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Results } from '../../src/results/types.js';
import { buildCharts } from '../../src/report/charts.js';
import { writeReport, writeSvgs } from '../../src/report/write.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function checkInBrowser(htmlPath: string, screenshot: string) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|data|blob):/.test(r.url())) problems.push(`network request: ${r.url()}`);
    });
    await page.goto(`file://${htmlPath}`);
    await page.waitForFunction(() => {
      const s = (window as unknown as { __netbench?: { expected: number; rendered: number; errors: string[] } }).__netbench;
      return s !== undefined && s.expected > 0 && s.rendered + s.errors.length === s.expected;
    }, null, { timeout: 60_000 });
    const state = await page.evaluate(() => (window as unknown as { __netbench: { expected: number; rendered: number; errors: string[] } }).__netbench);
    const marks = await page.evaluate(() =>
      [...document.querySelectorAll('.chart')].map((c) => ({ id: c.id, marks: c.querySelectorAll('svg .role-mark > *').length })),
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    return { state, marks, problems };
  } finally {
    await browser.close();
  }
}

describe('the HTML report in a real browser', () => {
  it.each(['small-run.json', 'traced-run.json'])('renders every chart of %s with marks, offline, with a clean console', async (fixture) => {
    const results = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'results', fixture), 'utf8')) as Results;
    const dir = mkdtempSync(join(tmpdir(), 'nb-report-'));
    const { html } = writeReport(results, join(dir, 'report.html'));
    const shot = join(dir, 'report.png');
    const { state, marks, problems } = await checkInBrowser(html, shot);
    expect(problems).toEqual([]);
    expect(state.errors).toEqual([]);
    expect(state.rendered).toBe(buildCharts(results).length);
    expect(marks.length).toBe(state.expected);
    for (const m of marks) expect(m.marks, m.id).toBeGreaterThan(0);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    if (fixture === 'traced-run.json') expect(marks.map((m) => m.id)).toEqual(expect.arrayContaining(['chart-stack-cdf', 'chart-hops']));
  });

  it('renders the same charts to SVG without a browser', async () => {
    const results = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'results', 'small-run.json'), 'utf8')) as Results;
    const dir = mkdtempSync(join(tmpdir(), 'nb-svg-'));
    const files = await writeSvgs(results, dir);
    expect(files.map((f) => f.split('/').pop())).toEqual(buildCharts(results).map((c) => `${c.id}.svg`));
    for (const f of files) expect(readFileSync(f, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });
});
