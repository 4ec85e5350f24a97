/** Writing reports to disk: the HTML with the libraries inlined, Markdown, and SVGs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../locations.js';
import type { Results } from '../results/types.js';
import { checkWritable, writeFileAtomic } from '../util/files.js';
import { buildCharts } from './charts.js';
import { type Libraries, renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';


/** Where each chart library's browser build is installed. */
export const LIBRARY_SOURCES = {
  vega: join(PROJECT_ROOT, 'node_modules', 'vega', 'build', 'vega.min.js'),
  vegaLite: join(PROJECT_ROOT, 'node_modules', 'vega-lite', 'build', 'vega-lite.min.js'),
  vegaEmbed: join(PROJECT_ROOT, 'node_modules', 'vega-embed', 'build', 'vega-embed.min.js'),
} as const;

export function loadLibraries(): Libraries {
  const file = (path: string) => readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script');
  return { vega: file(LIBRARY_SOURCES.vega), vegaLite: file(LIBRARY_SOURCES.vegaLite), vegaEmbed: file(LIBRARY_SOURCES.vegaEmbed) };
}

export interface WrittenReport {
  readonly html: string;
  readonly markdown: string;
  readonly htmlBytes: number;
}

export function markdownPathFor(htmlPath: string): string {
  return `${htmlPath.replace(/\.html?$/, '')}.md`;
}

export function writeReport(results: Results, htmlPath: string): WrittenReport {
  const markdown = markdownPathFor(htmlPath);
  checkWritable(htmlPath, 'report');
  checkWritable(markdown, 'Markdown summary');
  const html = renderHtml(results, loadLibraries());
  writeFileAtomic(htmlPath, html, 'report');
  writeFileAtomic(markdown, renderMarkdown(results), 'Markdown summary');
  return { html: htmlPath, markdown, htmlBytes: Buffer.byteLength(html) };
}

/** Render every chart to SVG with vega's headless view (no browser). */
export async function writeSvgs(results: Results, dir: string): Promise<string[]> {
  checkWritable(join(dir, 'chart.svg'), 'SVG directory');
  // loaded here, not at start-up: together they cost every other command about half a second
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const out: string[] = [];
  for (const c of buildCharts(results)) {
    const view = new vega.View(vega.parse(compile(c.spec as never).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    const file = join(dir, `${c.id}.svg`);
    writeFileAtomic(file, svg, 'SVG chart');
    out.push(file);
  }
  return out;
}
