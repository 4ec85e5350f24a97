/**
 * The one browser of the tests: Debian's Chromium, headless, offline by construction (no
 * request may leave the disk), with the console and page errors collected, and the
 * report's own signal that every chart has rendered.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** Console errors and warnings, page errors and any request that is not to the disk, as they happen. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data|blob):/.test(r.url())) problems.push(`network request: ${r.url()}`);
  });
  return problems;
}

/** What a report page says of its charts (window.__netbench). */
export interface ChartState {
  expected: number;
  rendered: number;
  errors: string[];
  shown?: string | null;
}

/** Wait until every chart of the page has rendered or failed; its state and each chart's count of marks. */
export async function chartsDone(page: Page): Promise<{ state: ChartState; marks: { id: string; marks: number }[] }> {
  await page.waitForFunction(() => {
    const s = (window as unknown as { __netbench?: ChartState }).__netbench;
    return s !== undefined && s.expected > 0 && s.rendered + s.errors.length === s.expected;
  }, null, { timeout: 60_000 });
  const state = await page.evaluate(() => (window as unknown as { __netbench: ChartState }).__netbench);
  const marks = await page.evaluate(() => [...document.querySelectorAll('.chart')].map((c) => ({ id: c.id, marks: c.querySelectorAll('svg .role-mark > *').length })));
  return { state, marks };
}
