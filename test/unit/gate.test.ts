import { describe, expect, it } from 'vitest';
import { decide, isRegression } from '../../src/gate/decide.js';
import { gateExitCode, gateSamples, incompatibilities, runGate, thresholdFor, type GateConfig } from '../../src/gate/gate.js';
import { gateJUnit, gateMarkdown, gateSummaryLine } from '../../src/gate/render.js';
import { parseInjection, forwardRules } from '../../src/run/inject.js';
import { seededRng } from '../../src/stats/rng.js';
import { permutationTest } from '../../src/stats/twosample.js';
import { uniformAround } from '../support/noise.js';
import { failed, syntheticResults, trial } from '../support/synthetic.js';
import { loadGateConfig } from '../../src/gate/config.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';

const cfg: GateConfig = { threshold: 0.05, alpha: 0.05, ignore: [], metric: { p99_us: 0.1 }, workload: {}, workloadMetric: {} };
const noisy = uniformAround;

describe('gate decision rule', () => {
  it('a consistent 10% throughput drop fails', () => {
    const rng = seededRng(5);
    const d = decide(noisy(rng, 8, 100, 0.02), noisy(rng, 8, 90, 0.02), 'higher', 0.05);
    expect(d.verdict).toBe('regression');
    expect(d.change).toBeCloseTo(-0.1, 1);
  });
  it('the threshold is the boundary: a clear 4.5% drop passes, a clear 5.5% drop fails', () => {
    const rng = seededRng(6);
    const base = noisy(rng, 8, 100, 0.003);
    const inside = decide(base, noisy(rng, 8, 95.5, 0.003), 'higher', 0.05);
    expect(inside.p).toBeLessThan(0.05);
    expect(inside.verdict).toBe('ok');
    const beyond = decide(base, noisy(rng, 8, 94.5, 0.003), 'higher', 0.05);
    expect(beyond.verdict).toBe('regression');
    expect(beyond.suspect).toBe(false);
  });
  it('a drop past the threshold that the noise leaves unproven is suspect: exit 3 by default, 0 when lenient', () => {
    // the 70% case: five noisy trials a side, the current run at 70% of the baseline
    const rng = seededRng(70);
    const d = decide(noisy(rng, 5, 100, 0.35), noisy(rng, 5, 70, 0.35), 'higher', 0.05);
    expect(d.verdict).toBe('undecided');
    expect(d.change).toBeLessThan(-0.05);
    expect(d.suspect).toBe(true);
    expect(d.reason).toMatch(/^SUSPECT: the estimate is \d+\.\d% worse, past the 5\.0% threshold, but not significant/);
    const report = { mode: 'absolute' as const, rows: [{ ...d, pAdjusted: d.p, topology: 't', workload: 'tcp-rr' as const, path: 'c1-peer' as const, metric: 'm', unit: 'u' }], problems: [], warnings: [] };
    expect(gateExitCode(report, false)).toBe(3);
    expect(gateExitCode(report, false, true)).toBe(0);
    expect(gateSummaryLine(report)).toMatch(/^SUSPECT in 1 metric\(s\), past the threshold but not significant: t tcp-rr c1-peer m −\d+\.\d%/);
    // noise that hides a possible regression whose estimate is inside the threshold is not suspect
    const mild = decide([100, 130, 70, 100], [99, 129, 69, 99], 'higher', 0.05);
    expect(mild.verdict).toBe('undecided');
    expect(mild.suspect).toBe(false);
  });
  it('latency going up is the bad direction', () => {
    const rng = seededRng(7);
    expect(decide(noisy(rng, 8, 80, 0.02), noisy(rng, 8, 100, 0.02), 'lower', 0.1).verdict).toBe('regression');
    expect(decide(noisy(rng, 8, 100, 0.02), noisy(rng, 8, 80, 0.02), 'lower', 0.1).verdict).toBe('improvement');
  });
  it('a significant change smaller than the threshold is not a regression', () => {
    const rng = seededRng(8);
    const d = decide(noisy(rng, 10, 100, 0.003), noisy(rng, 10, 97, 0.003), 'higher', 0.05);
    expect(d.p).toBeLessThan(0.05);
    expect(d.verdict).toBe('ok');
    expect(d.reason).toMatch(/within the 5.0% threshold/);
  });
  it('noise that hides a possible regression is undecided, and --strict makes it exit 3', () => {
    const rng = seededRng(9);
    const d = decide(noisy(rng, 4, 100, 0.3), noisy(rng, 4, 95, 0.3), 'higher', 0.05);
    expect(d.verdict).toBe('undecided');
    const report = { mode: 'absolute' as const, rows: [{ ...d, pAdjusted: d.p, topology: 't', workload: 'tcp-rr' as const, path: 'c1-peer' as const, metric: 'm', unit: 'u' }], problems: [], warnings: [] };
    expect(gateExitCode(report, false)).toBe(d.suspect ? 3 : 0);
    expect(gateExitCode(report, false, true)).toBe(0);
    expect(gateExitCode(report, true)).toBe(3);
  });
  it('an A/A comparison rarely cries wolf', () => {
    const rng = seededRng(10);
    let regressions = 0;
    // isRegression is decide()'s verdict without the bootstrap interval: checked equal on the first 20, then 200 cheaply
    for (let i = 0; i < 200; i++) {
      const [a, b] = [noisy(rng, 8, 100, 0.05), noisy(rng, 8, 100, 0.05)];
      const cried = isRegression(a, b, 'higher', 0.05);
      if (i < 20) {
        expect(cried).toBe(decide(a, b, 'higher', 0.05).verdict === 'regression');
        // and where one is: a 10% cut, caught by both or by neither
        const cut = b.map((x) => x * 0.9);
        expect(isRegression(a, cut, 'higher', 0.05)).toBe(decide(a, cut, 'higher', 0.05).verdict === 'regression');
      }
      if (cried) regressions++;
    }
    expect(regressions / 200).toBeLessThan(0.03);
  });
  it('the permutation test is exact for small samples', () => {
    // {1,2} vs {3,4}: of the 6 splits, 2 are as extreme
    expect(permutationTest([1, 2], [3, 4])).toBeCloseTo(2 / 6, 12);
  });
});

describe('Holm-Bonferroni across the metrics of one gate run', () => {
  it('adjusts p-values and demotes a lone marginal alarm among many metrics', async () => {
    const { holm } = await import('../../src/gate/gate.js');
    const row = (p: number, verdict: 'regression' | 'ok', changeLow = -0.12) => ({ topology: 't', workload: 'tcp-rr' as const, path: 'c1-peer' as const, metric: `m${p}`, unit: 'u', baselineMedian: 1, currentMedian: 0.88, change: -0.11, changeLow, changeHigh: -0.01, p, pAdjusted: p, nBaseline: 6, nCurrent: 6, threshold: 0.1, verdict, reason: 'r', suspect: false });
    const rows = holm([row(0.024, 'regression'), row(0.3, 'ok'), row(0.5, 'ok'), row(0.8, 'ok')], 0.05);
    expect(rows.map((r) => Number(r.pAdjusted.toFixed(6)))).toEqual([0.096, 0.9, 1, 1]);
    expect(rows[0]!.verdict).toBe('undecided');
    expect(rows[0]!.reason).toMatch(/after correcting for 4 metrics: not significant/);
    // its estimate (−11%) is past the 10% threshold: demoted, it is suspect
    expect(rows[0]!.suspect).toBe(true);
    expect(rows[0]!.reason).toMatch(/^SUSPECT: /);
    // a strong regression survives the correction
    expect(holm([row(0.002, 'regression'), row(0.4, 'ok')], 0.05)[0]!.verdict).toBe('regression');
  });
});

describe('gate over results', () => {
  const run = (factor: number) => {
    const trials = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((b) => [trial('host', b, 1000 * (1 + 0.01 * (b % 3))), trial('bridge', b, 900 * factor * (1 + 0.01 * ((b + 1) % 3)))]);
    return syntheticResults(trials);
  };
  it('compares ratios to host by default and names the regressed metric', () => {
    const report = runGate(run(1), run(0.85), cfg, 'relative');
    const reg = report.rows.filter((r) => r.verdict === 'regression');
    expect(reg.map((r) => `${r.topology} ${r.workload} ${r.metric}`)).toEqual(['bridge tcp-rr tps', 'bridge tcp-rr p99_us']);
    expect(report.rows.every((r) => r.topology !== 'host')).toBe(true);
    expect(gateExitCode(report, false)).toBe(1);
    expect(gateJUnit(report)).toMatch(/<testcase classname="netbench.gate.bridge" name="bridge tcp-rr c1-peer tps"><failure type="regression"/);
    expect(gateMarkdown(report)).toContain('🔴 | bridge tcp-rr c1-peer | tps');
  });
  it('relative samples are per-block ratios to host', () => {
    expect(gateSamples(run(1), { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' }, 'tps', 'relative')[0]).toBeCloseTo(909 / 1000, 9);
  });
  it('the same run against itself passes', () => {
    expect(gateExitCode(runGate(run(1), run(1), cfg, 'relative'), true)).toBe(0);
  });
  it('refuses runs whose environments differ', () => {
    const a = run(1);
    const b = { ...run(1), environment: { ...run(1).environment, kernel: '6.1', cpuCount: 4 } };
    expect(incompatibilities(a, b, 'relative')).toEqual(['kernels differ (6.18 vs 6.1)', 'CPU counts differ (2 vs 4)']);
  });
  it('most specific threshold wins', () => {
    const c = { ...cfg, workload: { 'tcp-rr': 0.07 }, workloadMetric: { 'tcp-rr.tps': 0.02 } };
    expect(thresholdFor(c, 'tcp-rr', 'tps')).toBe(0.02);
    expect(thresholdFor(c, 'tcp-rr', 'p99_us')).toBe(0.07);
    expect(thresholdFor(cfg, 'udp-rr', 'p99_us')).toBe(0.1);
  });
});

describe('injected slowdowns', () => {
  it('parses and refuses', () => {
    expect(parseInjection('tbf:4gbit')).toEqual({ kind: 'tbf', rate: '4gbit' });
    expect(parseInjection('forward-rules:3000')).toEqual({ kind: 'forward-rules', count: 3000 });
    expect(() => parseInjection('netem:10ms')).toThrow(/--inject must be/);
  });
  it('forward rules match nothing the suite assigns', () => {
    const rules = forwardRules(3);
    expect(rules.split('\n')).toEqual(['*filter', ':FORWARD ACCEPT [0:0]', '-A FORWARD -s 198.19.200.0/32 -p tcp --dport 1024 -j DROP', '-A FORWARD -s 198.19.200.1/32 -p tcp --dport 1025 -j DROP', '-A FORWARD -s 198.19.200.2/32 -p tcp --dport 1026 -j DROP', 'COMMIT', '']);
  });
});

describe('gate power from a run\'s own noise', () => {
  it('a 10% drop in quiet data is caught with six trials, and equal data rarely alarms', async () => {
    const { estimatePower } = await import('../../src/gate/power.js');
    const rng = seededRng(12);
    const trials = Array.from({ length: 10 }, (_, b) => [trial('host', b, 1000), trial('bridge', b, 900 * (1 + 0.02 * (rng() * 2 - 1)))]).flat();
    const rows = estimatePower(syntheticResults(trials), { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer', metric: 'tps' }, { shift: 0.1, trials: [2, 6], threshold: 0.05, mode: 'relative', repeats: 200 });
    expect(rows.map((r) => r.trials)).toEqual([2, 6]);
    expect(rows[0]!.power).toBe(0); // two against two can never reach p < 0.05
    expect(rows[1]!.power).toBeGreaterThan(0.9);
    expect(rows[1]!.falseAlarms).toBeLessThan(0.05);
    expect(rows[1]!.pool).toBe(10);
  });
});

describe('the gate never passes a broken current run', () => {
  const blocks = [0, 1, 2, 3, 4, 5, 6, 7];
  const good = () => syntheticResults(blocks.flatMap((b) => [trial('host', b, 1000 + b), trial('bridge', b, 900 + b)]));
  const judge = (current: ReturnType<typeof good>) => {
    const report = runGate(good(), current, cfg, 'relative');
    return { report, code: gateExitCode(report, false), lines: report.problems.map((p) => p.message) };
  };

  it('a healthy A/A comparison has no problems and exits 0', () => {
    const { report, code } = judge(good());
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
  });
  it('every trial failed: exit 4, with the first reason', () => {
    const current = syntheticResults(blocks.flatMap((b) => [failed('host', b, 'netperf: no response'), failed('bridge', b, 'netperf: no response')]));
    const { code, lines } = judge(current);
    expect(code).toBe(4);
    expect(lines).toContain('every one of the current run\'s 16 measured trials failed (first: netperf: no response)');
  });
  it('figures of zero or below: exit 4, naming the trial and metric', () => {
    const current = syntheticResults(blocks.flatMap((b) => [trial('host', b, 1000), trial('bridge', b, b === 3 ? 0 : 900)]));
    const { code, lines } = judge(current);
    expect(code).toBe(4);
    expect(lines.some((l) => /^bridge tcp-rr c1-peer trial 3: tps is 0 transactions\/s/.test(l))).toBe(true);
  });
  it('a run that did not complete: exit 4 for failed, interrupted and running', () => {
    for (const status of ['failed', 'interrupted', 'running'] as const) {
      const { code, lines } = judge({ ...good(), status, statusReason: 'why' });
      expect(code, status).toBe(4);
      expect(lines[0]).toBe(`the current run 20261128-070000-abcd is ${status}, not complete (why)`);
    }
  });
  it('a cell the baseline measured and the current run lacks: exit 4, not a skipped row', () => {
    const current = syntheticResults(blocks.map((b) => trial('host', b, 1000)));
    const { code, lines } = judge(current);
    expect(code).toBe(4);
    expect(lines).toContain('the current run lacks bridge tcp-rr c1-peer, which the baseline 20261128-070000-abcd measured');
  });
  it('problems take precedence over regressions and appear in JUnit and Markdown', () => {
    const current = { ...syntheticResults(blocks.flatMap((b) => [trial('host', b, 1000), trial('bridge', b, 500)])), status: 'interrupted' as const };
    const { report, code } = judge(current);
    expect(code).toBe(4);
    expect(gateJUnit(report)).toMatch(/<testcase classname="netbench.gate.run" name="status"><failure type="broken-run"/);
    expect(gateMarkdown(report)).toMatch(/^## netbench gate: BROKEN RUN/);
  });
});

describe('gate config', () => {
  const write = (cfgJson: unknown) => {
    const f = join(scratchDir('gatecfg'), 'gate.json');
    writeFileSync(f, JSON.stringify(cfgJson));
    return f;
  };
  it('the shipped config is valid', () => {
    expect(loadGateConfig().ignore).toEqual(['retransmits', 'loss_pct']);
  });
  it('refuses an alpha that is not a small probability', () => {
    expect(() => loadGateConfig(write({ alpha: 7 }))).toThrow(/\/alpha must be <= 0.2/);
    expect(() => loadGateConfig(write({ alpha: 0 }))).toThrow(/\/alpha must be > 0/);
  });
  it('refuses ignoring a headline metric, unknown metrics and unknown keys', () => {
    expect(() => loadGateConfig(write({ ignore: ['throughput_gbps'] }))).toThrow(/may not drop throughput_gbps: it is a headline metric of tcp-stream, tcp-stream-4/);
    expect(() => loadGateConfig(write({ ignore: ['throughput'] }))).toThrow(/\/ignore\/0 must be equal to one of the allowed values/);
    expect(() => loadGateConfig(write({ thresholds: 0.1 }))).toThrow(/must NOT have additional properties/);
    expect(() => loadGateConfig(write({ workloadMetric: { 'tcp-rr.throughput_gbps': 0.1 } }))).toThrow(/tcp-rr has no metric throughput_gbps/);
  });
});
