/** bench report <run-dir|results.json> [--out file.html] [--svg dir] */
import { join, dirname } from 'node:path';
import { loadResults } from '../../results/validate.js';
import { writeReport, writeSvgs } from '../../report/write.js';
import { checkWritable } from '../../util/files.js';
import type { Session } from '../session.js';

export async function reportCommand(session: Session, source: string, opts: { out?: string; svg?: string | boolean }): Promise<number> {
  const results = loadResults(source);
  const runDir = source.endsWith('.json') ? dirname(source) : source;
  const out = opts.out ?? join(runDir, 'report.html');
  const svgDir = opts.svg ? (typeof opts.svg === 'string' ? opts.svg : join(runDir, 'svg')) : undefined;
  // every output is checked before anything is rendered: an unwritable one fails at once
  if (svgDir) checkWritable(join(svgDir, 'chart.svg'), 'SVG directory');
  const written = writeReport(results, out);
  // a run that did not finish says so first: its figures are partial
  if (results.status !== 'complete') session.io.out(`run ${results.runId} is ${results.status}, not complete${results.statusReason ? `: ${results.statusReason}` : ''}\n`);
  session.io.out(`report: ${written.html} (${Math.round(written.htmlBytes / 1024)} KiB, self-contained)\nsummary: ${written.markdown}\n`);
  if (svgDir) {
    const files = await writeSvgs(results, svgDir);
    session.io.out(`svg: ${files.length} charts in ${svgDir}\n`);
  }
  return 0;
}
