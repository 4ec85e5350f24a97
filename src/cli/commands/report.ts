/** bench report <run-dir|results.json> [--out file.html] [--svg dir] */
import { join, dirname } from 'node:path';
import { loadResults } from '../../results/validate.js';
import { writeReport, writeSvgs } from '../../report/write.js';
import { checkWritable } from '../../util/files.js';
import type { Session } from '../session.js';
import { compareAll } from '../../report/verdicts.js';
import { ESTIMATORS } from '../../results/verdict.js';
import { parseList } from '../../run/config.js';

export async function reportCommand(session: Session, source: string, opts: { out?: string; svg?: string | boolean; estimator?: string }): Promise<number> {
  const saved = loadResults(source);
  // --estimator judges the saved trials again with another estimator; the report says which
  const estimator = opts.estimator === undefined ? undefined : parseList(opts.estimator, ESTIMATORS, 'estimator')[0]!;
  const results = estimator ? { ...saved, config: { ...saved.config, estimator } } : saved;
  const runDir = source.endsWith('.json') ? dirname(source) : source;
  const out = opts.out ?? join(runDir, 'report.html');
  const svgDir = opts.svg ? (typeof opts.svg === 'string' ? opts.svg : join(runDir, 'svg')) : undefined;
  // every output is checked before anything is rendered: an unwritable one fails at once
  if (svgDir) checkWritable(join(svgDir, 'chart.svg'), 'SVG directory');
  const written = writeReport(results, out);
  // a run that did not finish says so first: its figures are partial
  if (results.status !== 'complete') session.io.out(`run ${results.runId} is ${results.status}, not complete${results.statusReason ? `: ${results.statusReason}` : ''}\n`);
  const judged = compareAll(results);
  const decided = (rows: typeof judged.rows) => rows.filter((r) => r.verdict.kind !== 'inconclusive').length;
  const against = [...new Set(judged.rows.map((r) => r.b))].map((b) => `${decided(judged.rows.filter((r) => r.b === b))} of ${judged.rows.filter((r) => r.b === b).length} against ${b}`);
  session.io.out(`verdicts (${results.config.estimator ?? 'mean'} estimator): ${decided(judged.rows)} of ${judged.rows.length} decided${against.length ? ` (${against.join(', ')})` : ''}\n`);
  session.io.out(`report: ${written.html} (${Math.round(written.htmlBytes / 1024)} KiB, self-contained)\nsummary: ${written.markdown}\n`);
  if (svgDir) {
    const files = await writeSvgs(results, svgDir);
    session.io.out(`svg: ${files.length} charts in ${svgDir}\n`);
  }
  return 0;
}
