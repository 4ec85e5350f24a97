#!/usr/bin/env node
// Judge saved runs again with both estimators, on identical data (docs/methodology.md,
// "Robust verdicts"): per run, the comparisons decided by the mean's sequence and by the
// robust one, in all and against each baseline, and the verdicts that flip between better
// and worse. Usage: npm run build && node scripts/replay.mjs <results.json|run-dir>...
import { loadResults } from '../dist/src/results/validate.js';
import { comparisonSpecs, judge, sidesOf } from '../dist/src/results/comparisons.js';

const runs = process.argv.slice(2);
if (runs.length === 0) {
  console.error('usage: node scripts/replay.mjs <results.json|run-dir>...');
  process.exit(2);
}
const decided = (vs) => vs.filter((v) => v.kind !== 'inconclusive').length;
const rows = [];
for (const source of runs) {
  const r = loadResults(source);
  const specs = comparisonSpecs(sidesOf(r), r.config.workloads, r.config.paths);
  const by = Object.fromEntries(['mean', 'robust'].map((estimator) => [estimator, judge(r.trials, specs, { estimator })]));
  const against = [...new Set(by.mean.specs.map((s) => s.b))];
  const count = (est, b) => decided(by[est].family.verdicts.filter((_, i) => b === undefined || by[est].specs[i].b === b));
  let flips = 0;
  let lost = 0;
  by.mean.specs.forEach((s, i) => {
    const m = by.mean.family.verdicts[i].kind;
    const x = by.robust.family.verdicts[by.robust.specs.indexOf(s)].kind;
    if ((m === 'better' && x === 'worse') || (m === 'worse' && x === 'better')) flips++;
    if (m !== 'inconclusive' && x === 'inconclusive') lost++;
  });
  rows.push([r.runId, r.status, r.config.estimator ?? 'mean', `${by.mean.specs.length}`, `${count('mean')}`, `${count('robust')}`, ...against.map((b) => `${b} ${count('mean', b)}→${count('robust', b)}`), `lost ${lost}`, `flips ${flips}`]);
}
console.log(['run', 'status', 'run judged with', 'comparisons', 'decided (mean)', 'decided (robust)', 'per baseline: mean→robust', '', '', '', 'decided by the mean, not the robust', 'better↔worse'].join('\t'));
for (const row of rows) console.log(row.join('\t'));
