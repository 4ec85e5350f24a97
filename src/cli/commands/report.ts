/** bench report <run-dir|results.json> [--out file.html] [--svg dir] */
import { join, dirname } from 'node:path';
import { loadResults } from '../../results/validate.js';
import { writeReport, writeSvgs } from '../../report/write.js';
import type { Session } from '../session.js';

export async function reportCommand(session: Session, source: string, opts: { out?: string; svg?: string | boolean }): Promise<number> {
  const results = loadResults(source);
  const runDir = source.endsWith('.json') ? dirname(source) : source;
  const out = opts.out ?? join(runDir, 'report.html');
  const written = writeReport(results, out);
  session.io.out(`report: ${written.html} (${Math.round(written.htmlBytes / 1024)} KiB, self-contained)\nsummary: ${written.markdown}\n`);
  if (opts.svg) {
    const dir = typeof opts.svg === 'string' ? opts.svg : join(runDir, 'svg');
    const files = await writeSvgs(results, dir);
    session.io.out(`svg: ${files.length} charts in ${dir}\n`);
  }
  return 0;
}
