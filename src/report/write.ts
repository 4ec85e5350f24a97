/** Writing reports to disk: the HTML with the libraries inlined, Markdown, and SVGs. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { PROJECT_ROOT } from '../locations.js';
import type { Results } from '../results/types.js';
import { buildCharts } from './charts.js';
import { type Libraries, renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';


export function loadLibraries(): Libraries {
  const file = (pkg: string, rel: string) => readFileSync(join(PROJECT_ROOT, 'node_modules', pkg, rel), 'utf8').replace(/<\/script/gi, '<\\/script');
  return { vega: file('vega', 'build/vega.min.js'), vegaLite: file('vega-lite', 'build/vega-lite.min.js'), vegaEmbed: file('vega-embed', 'build/vega-embed.min.js') };
}

export interface WrittenReport {
  readonly html: string;
  readonly markdown: string;
  readonly htmlBytes: number;
}

export function writeReport(results: Results, htmlPath: string): WrittenReport {
  mkdirSync(dirname(htmlPath), { recursive: true });
  const html = renderHtml(results, loadLibraries());
  writeFileSync(htmlPath, html);
  const markdown = htmlPath.replace(/\.html?$/, '') + '.md';
  writeFileSync(markdown, renderMarkdown(results));
  return { html: htmlPath, markdown, htmlBytes: Buffer.byteLength(html) };
}

/** Render every chart to SVG with vega's headless view (no browser). */
export async function writeSvgs(results: Results, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const c of buildCharts(results)) {
    const view = new vega.View(vega.parse(compile(c.spec as never).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    const file = join(dir, `${c.id}.svg`);
    writeFileSync(file, svg);
    out.push(file);
  }
  return out;
}
