/** The gate's report as a terminal table, Markdown, and JUnit XML. Pure. */
import { fmtNum } from '../util/format.js';
import { table } from '../util/table.js';
import type { GateReport, GateRow } from './gate.js';

const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)}%` : '-');
const change = (r: GateRow) => `${signed(r.change)} [${signed(r.changeLow)}, ${signed(r.changeHigh)}]`;
const VERDICT: Record<string, string> = { regression: 'REGRESSION', improvement: 'improved', ok: 'ok', undecided: 'undecided' };
const verdictText = (r: GateRow) => (r.suspect ? 'SUSPECT' : VERDICT[r.verdict]!);

function order(rows: readonly GateRow[]): GateRow[] {
  const rank: Record<string, number> = { regression: 0, undecided: 1, improvement: 2, ok: 3 };
  return [...rows].sort((a, b) => rank[a.verdict]! - rank[b.verdict]! || a.workload.localeCompare(b.workload) || a.topology.localeCompare(b.topology));
}

/** The lines that fail the gate whatever the figures say, one per problem. */
export function problemLines(report: GateReport): string[] {
  return report.problems.map((p) => `FAIL: ${p.message}`);
}

export function gateTable(report: GateReport): string {
  const rows = order(report.rows).map((r) => [`${r.topology} ${r.workload} ${r.path}`, r.metric, fmtNum(r.baselineMedian), fmtNum(r.currentMedian), change(r), Number.isFinite(r.pAdjusted) ? r.pAdjusted.toPrecision(2) : '-', verdictText(r), r.reason]);
  return table(['cell', 'metric', 'baseline', 'current', 'change (good direction) [CI]', 'p (Holm)', 'verdict', 'why'], rows);
}

export function gateSummaryLine(report: GateReport): string {
  const n = (v: string) => report.rows.filter((r) => r.verdict === v).length;
  const reg = report.rows.filter((r) => r.verdict === 'regression');
  if (report.problems.length) return `BROKEN RUN: the gate cannot pass it (${report.problems.length} problem(s): ${report.problems.map((p) => p.kind).filter((k, i, a) => a.indexOf(k) === i).join(', ')})`;
  const head = reg.length ? `REGRESSION in ${reg.length} metric(s): ${reg.map((r) => `${r.topology} ${r.workload} ${r.path} ${r.metric} ${signed(r.change)}`).join('; ')}` : 'no regression';
  const suspect = report.rows.filter((r) => r.suspect);
  const warn = !reg.length && suspect.length ? `SUSPECT in ${suspect.length} metric(s), past the threshold but not significant: ${suspect.map((r) => `${r.topology} ${r.workload} ${r.path} ${r.metric} ${signed(r.change)}`).join('; ')}` : head;
  return `${warn} (${report.rows.length} metrics compared ${report.mode === 'relative' ? 'as ratios to host' : 'as absolute figures'}: ${n('ok')} ok, ${n('improvement')} improved, ${n('undecided')} undecided${suspect.length ? `, ${suspect.length} of them suspect` : ''})`;
}

/** `gate --run`: how the current run was measured and at what level the gate judged it. */
export function sequenceLine(report: GateReport): string | null {
  const q = report.sequence;
  if (!q) return null;
  const looks = q.looks.length === 1 ? `once, after block ${q.looks[0]}` : `after blocks ${q.looks.join(', ')} (at most ${q.looks.length} looks)`;
  // alpha / looks as it is (0.0125, not 0.013): the level is the one each test was held to
  const alpha = String(Number(q.alphaPerLook.toPrecision(3)));
  const why = q.looks.length > 1 ? `each test at alpha ${alpha}, so that looking more than once keeps false alarms within alpha` : `at alpha ${alpha}`;
  return `the current run measured ${q.blocks} block(s) adaptively; the gate judges ${looks}, ${why}${q.stopped ? `; it stopped: ${q.stopped}` : ''}`;
}

export function gateMarkdown(report: GateReport): string {
  const icon: Record<string, string> = { regression: '🔴', improvement: '🟢', ok: '⚪', undecided: '🟡' };
  const lines = [`## netbench gate: ${gateSummaryLine(report)}`, ''];
  for (const p of report.problems) lines.push(`- 🔴 ${md(p.message)}`);
  if (report.problems.length) lines.push('');
  lines.push('| | cell | metric | baseline | current | change [CI] | p (Holm) | why |', '|---|---|---|---:|---:|---:|---:|---|');
  for (const r of order(report.rows)) {
    lines.push(`| ${r.suspect ? '🟠' : icon[r.verdict]} | ${r.topology} ${r.workload} ${r.path} | ${r.metric} | ${fmtNum(r.baselineMedian)} | ${fmtNum(r.currentMedian)} | ${change(r)} | ${Number.isFinite(r.pAdjusted) ? r.pAdjusted.toPrecision(2) : '-'} | ${md(r.reason)} |`);
  }
  for (const w of report.warnings) lines.push('', `> ⚠️ ${md(w)}`);
  const seq = sequenceLine(report);
  if (seq) lines.push('', md(seq));
  return `${lines.join('\n')}\n`;
}

const md = (s: string) => s.replace(/\|/g, '\\|').replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function gateJUnit(report: GateReport): string {
  const problems = report.problems.map((p) => `    <testcase classname="netbench.gate.run" name="${xml(p.kind)}"><failure type="broken-run" message="${xml(p.message)}"/></testcase>`);
  const failures = report.rows.filter((r) => r.verdict === 'regression').length + problems.length;
  const tests = report.rows.length + problems.length;
  const cases = report.rows.map((r) => {
    const name = xml(`${r.topology} ${r.workload} ${r.path} ${r.metric}`);
    const body =
      r.verdict === 'regression'
        ? `<failure type="regression" message="${xml(`${r.metric} ${signed(r.change)}: ${r.reason}`)}">${xml(`baseline ${fmtNum(r.baselineMedian)}, current ${fmtNum(r.currentMedian)} ${r.unit}; change ${change(r)}; p=${r.p} (Holm-adjusted ${r.pAdjusted})`)}</failure>`
        : `<system-out>${xml(`${r.verdict}: ${r.reason}`)}</system-out>`;
    return `    <testcase classname="netbench.gate.${xml(r.topology)}" name="${name}">${body}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="netbench gate" tests="${tests}" failures="${failures}">\n  <testsuite name="netbench gate (${report.mode})" tests="${tests}" failures="${failures}">\n${[...problems, ...cases].join('\n')}\n  </testsuite>\n</testsuites>\n`;
}
