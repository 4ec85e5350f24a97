/**
 * The gate's report, whole: the terminal table, the summary line, Markdown and JUnit
 * for one report holding every verdict, a suspect metric, a metric with too few trials,
 * a broken-run problem, a warning and a `gate --run` sequence. Compared in full, so
 * that a word, an order or an escape that changes is seen.
 */
import { describe, expect, it } from 'vitest';
import type { GateReport, GateRow } from '../../src/gate/gate.js';
import { gateJUnit, gateMarkdown, gateSummaryLine, gateTable, problemLines, sequenceLine } from '../../src/gate/render.js';

const row = (over: Partial<GateRow>): GateRow => ({ topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer', metric: 'tps', unit: '× host (transactions/s)', baselineMedian: 0.9, currentMedian: 0.891, change: -0.01, changeLow: -0.03, changeHigh: 0.012, p: 0.4, pAdjusted: 0.8, nBaseline: 6, nCurrent: 6, threshold: 0.05, verdict: 'ok', reason: 'no significant change (p=0.40)', suspect: false, ...over });

const ROWS: GateRow[] = [
  row({}),
  row({ topology: 'nat', workload: 'tcp-stream', metric: 'throughput_gbps', unit: '× host (Gbit/s)', baselineMedian: 0.8, currentMedian: 0.64, change: -0.2, changeLow: -0.25, changeHigh: -0.15, p: 0.001, pAdjusted: 0.004, verdict: 'regression', reason: '20.0% worse (threshold 5.0%), p=0.0010' }),
  row({ topology: 'nat', metric: 'p99_us', unit: '× host (µs)', change: -0.12, changeLow: -0.3, changeHigh: 0.05, p: 0.2, pAdjusted: 0.6, threshold: 0.1, verdict: 'undecided', suspect: true, reason: 'SUSPECT: the estimate is 12.0% worse, past the 10.0% threshold, but not significant (p=0.20, interval down to -30.0%): measure more trials' }),
  row({ workload: 'tcp-stream', metric: 'throughput_gbps', unit: '× host (Gbit/s)', change: 0.1, changeLow: 0.06, changeHigh: 0.14, p: 0.002, pAdjusted: 0.006, verdict: 'improvement', reason: '10.0% better, p=0.0020' }),
  row({ topology: 'bridge', workload: 'tcp-crr', change: Number.NaN, changeLow: Number.NaN, changeHigh: Number.NaN, p: 1, pAdjusted: Number.NaN, nBaseline: 1, verdict: 'undecided', reason: 'too few trials (1 baseline, 6 current; need 2 or more each) | <b>' }),
];

const REPORT: GateReport = {
  mode: 'relative',
  rows: ROWS,
  problems: [{ kind: 'status', message: 'the current run r1 is killed, not complete' } as GateReport['problems'][number]],
  warnings: ['kernels differ (6.18 vs 6.1) | compared with --force'],
  sequence: { looks: [6, 8, 10, 12], alphaPerLook: 0.0125, blocks: 8, stopped: 'a regression is significant at look 2 of 4 (after 8 blocks)' },
};

describe('the gate report', () => {
  it('the table: regressions first, then undecided, improved, ok; within each, by workload then topology', () => {
    const lines = gateTable(REPORT).split('\n');
    expect(lines[0]).toMatch(/^cell +metric +baseline +current +change \(good direction\) \[CI\] +p \(Holm\) +verdict +why$/);
    expect(lines.slice(2, 7).map((l) => l.replace(/ {2,}/g, ' | '))).toEqual([
      'nat tcp-stream c1-peer | throughput_gbps | 0.8 | 0.64 | −20.0% [−25.0%, −15.0%] | 0.0040 | REGRESSION | 20.0% worse (threshold 5.0%), p=0.0010',
      'bridge tcp-crr c1-peer | tps | 0.9 | 0.891 | - [-, -] | - | undecided | too few trials (1 baseline, 6 current; need 2 or more each) | <b>',
      'nat tcp-rr c1-peer | p99_us | 0.9 | 0.891 | −12.0% [−30.0%, +5.0%] | 0.60 | SUSPECT | SUSPECT: the estimate is 12.0% worse, past the 10.0% threshold, but not significant (p=0.20, interval down to -30.0%): measure more trials',
      'bridge tcp-stream c1-peer | throughput_gbps | 0.9 | 0.891 | +10.0% [+6.0%, +14.0%] | 0.0060 | improved | 10.0% better, p=0.0020',
      'bridge tcp-rr c1-peer | tps | 0.9 | 0.891 | −1.0% [−3.0%, +1.2%] | 0.80 | ok | no significant change (p=0.40)',
    ]);
  });

  it('the summary line: a broken run first, then a regression, then a suspect metric, then none; the counts and the mode', () => {
    expect(gateSummaryLine(REPORT)).toBe('BROKEN RUN: the gate cannot pass it (1 problem(s): status)');
    const twice = { ...REPORT, problems: [...REPORT.problems, { ...REPORT.problems[0]!, message: 'again' }, { ...REPORT.problems[0]!, kind: 'all-failed' as never }] };
    expect(gateSummaryLine(twice)).toBe('BROKEN RUN: the gate cannot pass it (3 problem(s): status, all-failed)');
    const fine = { ...REPORT, problems: [] };
    expect(gateSummaryLine(fine)).toBe('REGRESSION in 1 metric(s): nat tcp-stream c1-peer throughput_gbps −20.0% (5 metrics compared as ratios to host: 1 ok, 1 improved, 2 undecided, 1 of them suspect)');
    expect(gateSummaryLine({ ...fine, rows: ROWS.filter((r) => r.verdict !== 'regression') })).toBe('SUSPECT in 1 metric(s), past the threshold but not significant: nat tcp-rr c1-peer p99_us −12.0% (4 metrics compared as ratios to host: 1 ok, 1 improved, 2 undecided, 1 of them suspect)');
    expect(gateSummaryLine({ ...fine, mode: 'absolute', rows: [ROWS[0]!] })).toBe('no regression (1 metrics compared as absolute figures: 1 ok, 0 improved, 0 undecided)');
    expect(problemLines(REPORT)).toEqual(['FAIL: the current run r1 is killed, not complete']);
  });

  it('Markdown: the summary as heading, problems, one row per metric with its icon, pipes and markup escaped, warnings, the looks', () => {
    expect(gateMarkdown(REPORT)).toBe(`## netbench gate: BROKEN RUN: the gate cannot pass it (1 problem(s): status)

- 🔴 the current run r1 is killed, not complete

| | cell | metric | baseline | current | change [CI] | p (Holm) | why |
|---|---|---|---:|---:|---:|---:|---|
| 🔴 | nat tcp-stream c1-peer | throughput_gbps | 0.8 | 0.64 | −20.0% [−25.0%, −15.0%] | 0.0040 | 20.0% worse (threshold 5.0%), p=0.0010 |
| 🟡 | bridge tcp-crr c1-peer | tps | 0.9 | 0.891 | - [-, -] | - | too few trials (1 baseline, 6 current; need 2 or more each) \\| &lt;b&gt; |
| 🟠 | nat tcp-rr c1-peer | p99_us | 0.9 | 0.891 | −12.0% [−30.0%, +5.0%] | 0.60 | SUSPECT: the estimate is 12.0% worse, past the 10.0% threshold, but not significant (p=0.20, interval down to -30.0%): measure more trials |
| 🟢 | bridge tcp-stream c1-peer | throughput_gbps | 0.9 | 0.891 | +10.0% [+6.0%, +14.0%] | 0.0060 | 10.0% better, p=0.0020 |
| ⚪ | bridge tcp-rr c1-peer | tps | 0.9 | 0.891 | −1.0% [−3.0%, +1.2%] | 0.80 | no significant change (p=0.40) |

> ⚠️ kernels differ (6.18 vs 6.1) \\| compared with --force

the current run measured 8 block(s) adaptively; the gate judges after blocks 6, 8, 10, 12 (at most 4 looks), each test at alpha 0.0125, so that looking more than once keeps false alarms within alpha; it stopped: a regression is significant at look 2 of 4 (after 8 blocks)
`);
    // no problem, no warning, no sequence: the table follows the heading at once, and nothing follows the table
    expect(gateMarkdown({ mode: 'absolute', rows: [ROWS[0]!], problems: [], warnings: [] })).toBe(`## netbench gate: no regression (1 metrics compared as absolute figures: 1 ok, 0 improved, 0 undecided)

| | cell | metric | baseline | current | change [CI] | p (Holm) | why |
|---|---|---|---:|---:|---:|---:|---|
| ⚪ | bridge tcp-rr c1-peer | tps | 0.9 | 0.891 | −1.0% [−3.0%, +1.2%] | 0.80 | no significant change (p=0.40) |
`);
  });

  it('JUnit: a test case per problem and per metric, in the report\'s order, failures for problems and regressions, everything escaped', () => {
    expect(gateJUnit(REPORT)).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="netbench gate" tests="6" failures="2">
  <testsuite name="netbench gate (relative)" tests="6" failures="2">
    <testcase classname="netbench.gate.run" name="status"><failure type="broken-run" message="the current run r1 is killed, not complete"/></testcase>
    <testcase classname="netbench.gate.bridge" name="bridge tcp-rr c1-peer tps"><system-out>ok: no significant change (p=0.40)</system-out></testcase>
    <testcase classname="netbench.gate.nat" name="nat tcp-stream c1-peer throughput_gbps"><failure type="regression" message="throughput_gbps −20.0%: 20.0% worse (threshold 5.0%), p=0.0010">baseline 0.8, current 0.64 × host (Gbit/s); change −20.0% [−25.0%, −15.0%]; p=0.001 (Holm-adjusted 0.004)</failure></testcase>
    <testcase classname="netbench.gate.nat" name="nat tcp-rr c1-peer p99_us"><system-out>undecided: SUSPECT: the estimate is 12.0% worse, past the 10.0% threshold, but not significant (p=0.20, interval down to -30.0%): measure more trials</system-out></testcase>
    <testcase classname="netbench.gate.bridge" name="bridge tcp-stream c1-peer throughput_gbps"><system-out>improvement: 10.0% better, p=0.0020</system-out></testcase>
    <testcase classname="netbench.gate.bridge" name="bridge tcp-crr c1-peer tps"><system-out>undecided: too few trials (1 baseline, 6 current; need 2 or more each) | &lt;b&gt;</system-out></testcase>
  </testsuite>
</testsuites>
`);
    const hostile = gateJUnit({ mode: 'absolute', rows: [{ ...ROWS[1]!, topology: `a"&'<>`, reason: `"&'<>` }], problems: [], warnings: [] });
    expect(hostile).toContain(`<testcase classname="netbench.gate.a&quot;&amp;&apos;&lt;&gt;" name="a&quot;&amp;&apos;&lt;&gt; tcp-stream c1-peer throughput_gbps"><failure type="regression" message="throughput_gbps −20.0%: &quot;&amp;&apos;&lt;&gt;">`);
    expect(hostile).toContain('tests="1" failures="1"');
  });

  it('the looks of gate --run: several, or one, and nothing without a sequence', () => {
    expect(sequenceLine({ ...REPORT, sequence: { looks: [6], alphaPerLook: 0.05, blocks: 6, stopped: null } })).toBe('the current run measured 6 block(s) adaptively; the gate judges once, after block 6, at alpha 0.05');
    const { sequence: _s, ...plain } = REPORT;
    expect(sequenceLine(plain)).toBeNull();
  });
});
