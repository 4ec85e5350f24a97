/** The Markdown summary for CI job summaries and pull-request comments. Pure. */
import { machineLines } from './machines.js';
import { busySummary } from '../results/interference.js';
import { describeIdle } from '../results/idle.js';
import { describeNoise } from '../results/noise.js';
import { fmtNum, fmtPct } from '../util/format.js';
import type { Results } from '../results/types.js';
import { isPrimary } from './select.js';
import { claimSummary, compareAll } from './verdicts.js';
import { datapathSentence, sameDatapath } from '../results/datapath.js';

const ICON: Record<string, string> = { better: '🟢', worse: '🔴', same: '⚪', inconclusive: '⚪' };
/** Text safe in a Markdown table cell: no column breaks, no HTML. */
const cellText = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderMarkdown(results: Results): string {
  const cmp = compareAll(results);
  const rows = cmp.rows;
  const claim = claimSummary(rows);
  const lines: string[] = [];
  lines.push(`## netbench ${results.runId} (${cellText(results.profile)}, ${results.config.trials} trials × ${results.config.durationS}s, ${results.status})`, '');
  if (results.status !== 'complete') lines.push(`**This run is ${results.status}, not complete**${results.statusReason ? `: ${cellText(results.statusReason)}` : ''}. Its figures are partial.`, '');
  const busy = busySummary(results.trials, results.environment.cpuCount);
  lines.push(cellText(describeIdle(results.environment.idle)) + (busy.stealShare !== null ? `. Steal: ${fmtPct(busy.stealShare)} of the CPU time during the trials.` : ''), '');
  const noise = describeNoise(results.environment.noise);
  if (noise) lines.push(`${cellText(noise)}.`, '');
  lines.push(cellText(claim.text), '', ...claim.perAlternative.map((l) => `- ${cellText(l)}`), ...(claim.perAlternative.length ? [''] : []));
  if (rows.length) {
    lines.push('| | verdict | margin | e-value | pairs |', '|---|---|---:|---:|---:|');
    for (const r of rows) lines.push(`| ${ICON[r.verdict.kind]} | ${cellText(r.sentence)} | ±${Math.round(r.verdict.margin * 100)}% | ${Number.isFinite(r.verdict.e) ? r.verdict.e.toPrecision(2) : '∞'} | ${r.verdict.n} |`);
    lines.push('');
  }
  for (const d of sameDatapath(results)) lines.push(`${d.same ? '' : '⚠️ '}${cellText(datapathSentence(d))}`, '');
  const machines = machineLines(results);
  if (machines) lines.push(cellText(machines.machines), '', cellText(machines.limit), '');
  const ratios = results.summary.filter((s) => s.ratioToHost && isPrimary(s));
  if (ratios.length) {
    lines.push('| topology | workload | path | median | × host [CI] | CoV |', '|---|---|---|---:|---:|---:|');
    for (const s of ratios) lines.push(`| ${cellText(s.topology)} | ${s.workload} | ${s.path} | ${fmtNum(s.median)} ${cellText(s.unit)} | ${fmtNum(s.ratioToHost!.median)} [${fmtNum(s.ratioToHost!.ciLow)}, ${fmtNum(s.ratioToHost!.ciHigh)}] | ${fmtPct(s.cov)} |`);
    lines.push('');
  }
  for (const c of results.caveats) lines.push(`- ⚠️ ${cellText(c)}`);
  if (busy.text) lines.push(`- ⚠️ ${cellText(busy.text)}`);
  return `${lines.join('\n').trimEnd()}\n`;
}
