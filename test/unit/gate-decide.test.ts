/**
 * The gate's rule for one metric at its edges: which figures count, how few trials are
 * too few, the threshold and alpha as exact boundaries, and what each verdict says.
 * The permutation test is exact for these sizes, so p is known: 4 against 4 with no
 * overlap is 2/70.
 */
import { describe, expect, it } from 'vitest';
import { decide, isRegression } from '../../src/gate/decide.js';
import { median } from '../../src/stats/summary.js';
import { permutationTest } from '../../src/stats/twosample.js';
import { improvement } from '../../src/workloads/metrics.js';
import { scratchDir } from '../support/scratch.js';

const BASE = [100, 101, 102, 103];
const p4 = 2 / 70;
/** the change decide() computes for these samples, in the good direction */
const changeOf = (a: number[], b: number[], better: 'higher' | 'lower' = 'higher') => improvement(median(b) / median(a), better);

describe('which trials count', () => {
  it('zero, negative and non-finite figures are left out of both sides, and counted as such', () => {
    const d = decide([0, -5, Number.NaN, Number.POSITIVE_INFINITY, ...BASE], [...BASE.map((x) => x * 0.8), 0, Number.NaN], 'higher', 0.05);
    expect([d.nBaseline, d.nCurrent]).toEqual([4, 4]);
    expect(d.baselineMedian).toBe(101.5);
    expect(d.currentMedian).toBeCloseTo(81.2, 10);
    expect(d.verdict).toBe('regression');
    expect(d.p).toBeCloseTo(p4, 12);
    // the same holds for the cheap rule the power simulation uses
    expect(isRegression([0, Number.NaN, ...BASE], BASE.map((x) => x * 0.8), 'higher', 0.05)).toBe(true);
    // a zero in the baseline would make every log infinite: were it kept, nothing could be decided
    expect(isRegression([0, 0, 0, 0, 0, 101], BASE.map((x) => x * 0.8), 'higher', 0.05)).toBe(false);
  });

  it('one trial on either side is too few, and says so; two on each side is enough to be judged', () => {
    const thirty = Array.from({ length: 30 }, () => 50);
    // one against thirty could reach p = 1/31 < 0.05: it is never judged
    expect(permutationTest([Math.log(100)], thirty.map(Math.log))).toBeCloseTo(1 / 31, 12);
    for (const [a, b] of [[[100], thirty], [[100, 101, 102], [50]]] as const) {
      const d = decide(a, b, 'higher', 0.05);
      expect(d).toMatchObject({ verdict: 'undecided', suspect: false, p: 1, nBaseline: a.length, nCurrent: b.length });
      expect(d.reason).toBe(`too few trials (${a.length} baseline, ${b.length} current; need 2 or more each)`);
      expect([d.change, d.changeLow, d.changeHigh].every(Number.isNaN)).toBe(true);
      expect(isRegression(a, b, 'higher', 0.05)).toBe(false);
    }
    const two = decide([100, 101], [50, 51], 'higher', 0.05);
    expect(two.reason).not.toMatch(/too few/);
    expect(two.change).toBeCloseTo(-0.4975, 4);
    // two against two cannot be significant (p = 2/6): a 50% drop is suspect, not a regression
    expect(two.p).toBeCloseTo(1 / 3, 12);
    expect(two).toMatchObject({ verdict: 'undecided', suspect: true });
  });
});

describe('the boundaries are strict', () => {
  const cut = BASE.map((x) => x * 0.8);

  it('a regression needs p below alpha: at alpha exactly it is not one', () => {
    expect(decide(BASE, cut, 'higher', 0.05, p4 * 1.0001).verdict).toBe('regression');
    expect(isRegression(BASE, cut, 'higher', 0.05, p4 * 1.0001)).toBe(true);
    const at = decide(BASE, cut, 'higher', 0.05, p4);
    expect(at.verdict).toBe('undecided');
    expect(at.suspect).toBe(true);
    expect(isRegression(BASE, cut, 'higher', 0.05, p4)).toBe(false);
    // and an improvement likewise
    const up = BASE.map((x) => x * 1.2);
    expect(decide(BASE, up, 'higher', 0.05, p4 * 1.0001).verdict).toBe('improvement');
    expect(decide(BASE, up, 'higher', 0.05, p4).verdict).toBe('ok');
  });

  it('a regression needs the change past the threshold: a drop of exactly the threshold is within it', () => {
    const change = changeOf(BASE, cut);
    expect(decide(BASE, cut, 'higher', -change * 0.999).verdict).toBe('regression');
    expect(isRegression(BASE, cut, 'higher', -change * 0.999)).toBe(true);
    const at = decide(BASE, cut, 'higher', -change);
    expect(at.verdict).toBe('ok');
    expect(at.reason).toBe(`significant change of -20.0%, within the 20.0% threshold`);
    expect(isRegression(BASE, cut, 'higher', -change)).toBe(false);
    const up = BASE.map((x) => x * 1.2);
    expect(decide(BASE, up, 'higher', changeOf(BASE, up)).verdict).toBe('ok');
    expect(decide(BASE, up, 'higher', changeOf(BASE, up) * 0.999).verdict).toBe('improvement');
  });

  it('suspect needs the estimate past the threshold: at the threshold exactly it is undecided, not suspect', () => {
    // not significant (alpha below p), the interval reaching past the threshold
    const at = decide(BASE, cut, 'higher', -changeOf(BASE, cut), 0.01);
    expect(at.changeLow).toBeLessThan(-at.threshold);
    expect(at).toMatchObject({ verdict: 'undecided', suspect: false });
    expect(at.reason).toMatch(/^a 20\.0% regression cannot be ruled out \(interval down to -\d+\.\d%\), p=0\.029: too noisy, run more trials$/);
    const past = decide(BASE, cut, 'higher', 0.1, 0.01);
    expect(past).toMatchObject({ verdict: 'undecided', suspect: true });
    expect(past.reason).toMatch(/^SUSPECT: the estimate is 20\.0% worse, past the 10\.0% threshold, but not significant \(p=0\.029, interval down to -\d+\.\d%\): measure more trials$/);
  });

  it('with p exactly alpha and an interval past the threshold, the noise is said, not a pass', () => {
    const d = decide(BASE, cut, 'higher', 0.1, p4);
    expect(d).toMatchObject({ verdict: 'undecided', suspect: true });
  });
});

describe('what each verdict says', () => {
  it('a regression and an improvement name their size, the threshold and p; latency up is worse', () => {
    const r = decide(BASE, BASE.map((x) => x * 0.8), 'higher', 0.05);
    expect(r.reason).toBe('20.0% worse (threshold 5.0%), p=0.029');
    expect(r.change).toBeCloseTo(-0.2, 12);
    const i = decide(BASE, BASE.map((x) => x * 1.25), 'higher', 0.05);
    expect(i.reason).toBe('25.0% better, p=0.029');
    const lat = decide(BASE, BASE.map((x) => x * 1.25), 'lower', 0.1);
    expect(lat.verdict).toBe('regression');
    // latency 25% higher is 25% worse (the change is signed in the good direction, not inverted)
    expect(lat.reason).toBe('25.0% worse (threshold 10.0%), p=0.029');
  });

  it('a quiet pass says there is no significant change, with p', () => {
    const d = decide(BASE, [101, 100, 103, 102], 'higher', 0.05);
    expect(d).toMatchObject({ verdict: 'ok', suspect: false, change: 0 });
    expect(d.reason).toBe('no significant change (p=1.0)');
    expect(d.changeLow).toBeLessThanOrEqual(0);
    expect(d.changeHigh).toBeGreaterThanOrEqual(0);
    expect(d.changeLow).toBeGreaterThan(-0.05);
  });
});

describe('Holm across a gate run: order, step-down and the demotion rule', async () => {
  const { gateExitCode, holm } = await import('../../src/gate/gate.js');
  type Row = Parameters<typeof holm>[0][number];
  const row = (p: number, over: Partial<Row> = {}): Row => ({ topology: 't', workload: 'tcp-rr', path: 'c1-peer', metric: `m${p}`, unit: 'u', baselineMedian: 1, currentMedian: 0.8, change: -0.2, changeLow: -0.3, changeHigh: -0.1, p, pAdjusted: p, nBaseline: 6, nCurrent: 6, threshold: 0.1, verdict: 'regression', reason: 'r', suspect: false, ...over });

  it('adjusts from the smallest p up, never letting a later one fall below an earlier one, whatever the rows\' order', () => {
    // sorted: 0.01 ×3, 0.03 ×2 = 0.06, 0.04 ×1 = 0.04 held up to 0.06
    expect(holm([row(0.04, { verdict: 'ok' }), row(0.01), row(0.03, { verdict: 'ok' })], 0.05).map((r) => r.pAdjusted)).toEqual([0.06, 0.03, 0.06]);
    expect(holm([row(0.5, { verdict: 'ok' }), row(0.9, { verdict: 'ok' })], 0.05).map((r) => r.pAdjusted)).toEqual([1, 1]);
  });

  it('a regression or improvement whose adjusted p reaches alpha exactly is demoted; below it stays', () => {
    // 0.025 × 2 metrics = 0.05 = alpha
    const [at] = holm([row(0.025), row(0.9, { verdict: 'ok' })], 0.05);
    expect(at).toMatchObject({ pAdjusted: 0.05, verdict: 'undecided', suspect: true });
    expect(at!.reason).toBe('SUSPECT: r, but p=0.050 after correcting for 2 metrics: not significant');
    const [below] = holm([row(0.0249), row(0.9, { verdict: 'ok' })], 0.05);
    expect(below!.verdict).toBe('regression');
    const [imp] = holm([row(0.025, { verdict: 'improvement', change: 0.2, changeLow: 0.1, changeHigh: 0.3 }), row(0.9, { verdict: 'ok' })], 0.05);
    expect(imp).toMatchObject({ verdict: 'ok', suspect: false, reason: 'r, but p=0.050 after correcting for 2 metrics: not significant' });
    // other verdicts keep theirs, whatever their adjusted p
    const [ok] = holm([row(0.2, { verdict: 'ok', changeLow: -0.3 }), row(0.9, { verdict: 'ok' })], 0.05);
    expect(ok).toMatchObject({ verdict: 'ok', reason: 'r', pAdjusted: 0.4 });
  });

  it('a demoted regression is undecided only while its interval reaches past the threshold, and suspect only while its estimate does', () => {
    const demote = (over: Partial<Row>) => holm([row(0.04, over), row(0.9, { verdict: 'ok' })], 0.05)[0]!;
    expect(demote({ changeLow: -0.1 })).toMatchObject({ verdict: 'ok', suspect: false });
    expect(demote({ changeLow: -0.1 }).reason).not.toMatch(/SUSPECT/);
    expect(demote({ changeLow: -0.1001, change: -0.1 })).toMatchObject({ verdict: 'undecided', suspect: false });
    expect(demote({ changeLow: -0.1001, change: -0.1001 })).toMatchObject({ verdict: 'undecided', suspect: true });
  });

  it('the exit code looks at every row: one regression, one suspect or (strict) one undecided among passes decides it', () => {
    const report = (rows: Row[], problems: { message: string }[] = []) => ({ mode: 'relative' as const, rows, problems: problems as never, warnings: [] });
    const pass = row(0.9, { verdict: 'ok', change: 0, changeLow: -0.02 });
    expect(gateExitCode(report([pass, row(0.001), pass]), false)).toBe(1);
    expect(gateExitCode(report([pass, row(0.3, { verdict: 'undecided', suspect: true })]), false)).toBe(3);
    expect(gateExitCode(report([pass, row(0.3, { verdict: 'undecided', suspect: true })]), false, true)).toBe(0);
    expect(gateExitCode(report([pass, row(0.3, { verdict: 'undecided' })]), false)).toBe(0);
    expect(gateExitCode(report([pass, row(0.3, { verdict: 'undecided' })]), true)).toBe(3);
    expect(gateExitCode(report([pass, pass]), true)).toBe(0);
    expect(gateExitCode(report([pass, row(0.001)], [{ message: 'broken' }]), false)).toBe(4);
  });
});

describe('what makes two runs incomparable, and what the gate reads of a run', async () => {
  const { gateRows, gateSamples, incompatibilities } = await import('../../src/gate/gate.js');
  const { syntheticResults, trial } = await import('../support/synthetic.js');
  const base = syntheticResults([0, 1, 2].flatMap((b) => [trial('host', b, 1000), trial('bridge', b, 900)]));
  const withEnv = (over: object, config: object = {}) => ({ ...base, config: { ...base.config, ...config }, environment: { ...base.environment, ...over } });
  const ovs = (datapath: 'kernel' | 'netdev') => ({ name: 'ovs', driver: 'ovs', mode: null, datapath, builder: 'iproute2', hairpin: false, ipForward: '1', bridgeNfCallIptables: null, interfaces: [], caveats: [], buildMs: 1, teardownMs: 1 });

  it('names each difference: topology sets, trial lengths, OVS datapaths; host only matters to a relative gate', () => {
    expect(incompatibilities(base, base, 'relative')).toEqual([]);
    expect(incompatibilities(base, withEnv({}, { topologies: ['bridge', 'host', 'nat'] }), 'relative')).toEqual(['topology sets differ (baseline: bridge,host; current: bridge,host,nat)']);
    // the order of the list is not a difference
    expect(incompatibilities(base, withEnv({}, { topologies: ['bridge', 'host'] }), 'relative')).toEqual([]);
    expect(incompatibilities(base, withEnv({}, { durationS: 0.25 }), 'absolute')).toEqual(['trial durations differ (2s vs 0.25s)']);
    expect(incompatibilities(withEnv({ topologies: [ovs('kernel')] }), withEnv({ topologies: [ovs('netdev')] }), 'absolute')).toEqual(['ovs ran on different OVS datapaths (kernel vs netdev)']);
    expect(incompatibilities(withEnv({ topologies: [ovs('kernel')] }), withEnv({ topologies: [{ ...ovs('netdev'), name: 'ovs2' }] }), 'absolute')).toEqual([]);
    const noHost = withEnv({}, { topologies: ['bridge'] });
    const both = incompatibilities(noHost, noHost, 'relative');
    expect(both).toEqual(['relative comparison needs host in both runs (or use --absolute)']);
    expect(incompatibilities(base, withEnv({}, { topologies: ['bridge', 'host'] }), 'relative')).toEqual([]);
    expect(incompatibilities(noHost, noHost, 'absolute')).toEqual([]);
    expect(incompatibilities(base, noHost, 'relative')).toEqual(['topology sets differ (baseline: bridge,host; current: bridge)', 'relative comparison needs host in both runs (or use --absolute)']);
  });

  it('absolute samples are the raw figures; relative ones skip a block whose host figure is missing or not positive', () => {
    const cell = { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' } as const;
    const r = syntheticResults([trial('host', 0, 1000), trial('bridge', 0, 900), trial('host', 1, 0), trial('bridge', 1, 800), trial('bridge', 2, 700)]);
    expect(gateSamples(r, cell, 'tps', 'absolute')).toEqual([900, 800, 700]);
    expect(gateSamples(r, cell, 'tps', 'relative')).toEqual([0.9]);
  });

  it('judges only what both runs measured, never host against itself when relative, and says the unit', () => {
    const cfg = { threshold: 0.05, alpha: 0.05, ignore: ['p99_us'], metric: {}, workload: {}, workloadMetric: {} };
    const cur = { config: { topologies: ['host', 'bridge', 'nat'], workloads: ['tcp-rr', 'tcp-stream'], paths: ['c1-peer', 'c1-c2'] } as never, trials: base.trials };
    const rel = gateRows(base, cur, cfg, 'relative');
    expect(rel.map((x) => `${x.topology} ${x.workload} ${x.path} ${x.metric} ${x.unit}`)).toEqual(['bridge tcp-rr c1-peer tps × host (transactions/s)']);
    const abs = gateRows(base, cur, cfg, 'absolute');
    expect(abs.map((x) => `${x.topology} ${x.metric} ${x.unit}`)).toEqual(['host tps transactions/s', 'bridge tps transactions/s']);
  });
});

describe('a gate config file, whole messages', async () => {
  const { loadGateConfig } = await import('../../src/gate/config.js');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = scratchDir('gatecfg-edges');
  let n = 0;
  const write = (text: string) => {
    const p = join(dir, `g${n++}.json`);
    writeFileSync(p, text);
    return p;
  };

  it('fills every field it is not given; a full file is taken as written', () => {
    expect(loadGateConfig(write('{}'))).toEqual({ threshold: 0.05, alpha: 0.05, ignore: [], metric: {}, workload: {}, workloadMetric: {}, estimator: 'robust' });
    const full = { threshold: 0.1, alpha: 0.01, ignore: ['retransmits'], metric: { p99_us: 0.2 }, workload: { 'tcp-rr': 0.07 }, workloadMetric: { 'tcp-rr.tps': 0.03 }, estimator: 'mean' };
    expect(loadGateConfig(write(JSON.stringify({ description: 'x', ...full })))).toEqual(full);
  });

  it('lists up to four schema errors, each with where and what, and the allowed values of an enum', () => {
    const p = write(JSON.stringify({ threshold: 'big', alpha: 2, ignore: ['nope'], a: 1, b: 2 }));
    let msg = '';
    try {
      loadGateConfig(p);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.startsWith(`gate config ${p} is invalid: `)).toBe(true);
    expect(msg.endsWith(' (schemas/gate.schema.json)')).toBe(true);
    const errs = msg.slice(`gate config ${p} is invalid: `.length, -' (schemas/gate.schema.json)'.length).split('; ');
    expect(errs).toHaveLength(4);
    expect(errs[0]).toBe('/ must NOT have additional properties');
    expect(msg).toContain('/threshold must be number');
    const one = write(JSON.stringify({ ignore: ['nope'] }));
    expect(() => loadGateConfig(one)).toThrow(`gate config ${one} is invalid: /ignore/0 must be equal to one of the allowed values (throughput_gbps,retransmits,cpu_s_per_gb,pps_received,loss_pct,cpu_s_per_mpkt,tps,p50_us,p90_us,p99_us,mean_us,cpu_us_per_txn) (schemas/gate.schema.json)`);
    // a number is a number: NaN and Infinity cannot be written in JSON, and a string is refused
    expect(() => loadGateConfig(write('{"threshold": "0.1"}'))).toThrow(/\/threshold must be number/);
  });

  it('a problem the schema cannot see names the key; several are all said', () => {
    const p = write(JSON.stringify({ ignore: ['tps'], workloadMetric: { 'tcp-stream.tps': 0.1 } }));
    expect(() => loadGateConfig(p)).toThrow(`gate config ${p}: 'ignore' may not drop tps: it is a headline metric of tcp-rr, udp-rr, tcp-crr, so its regressions would pass unseen; 'workloadMetric' names tcp-stream.tps, but tcp-stream has no metric tps`);
  });

  it('refuses what is not a config file: missing, a directory, not JSON, larger than 64 KiB', () => {
    const missing = join(dir, 'none.json');
    expect(() => loadGateConfig(missing)).toThrow(`cannot read gate config ${missing}: ENOENT`);
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(() => loadGateConfig(sub)).toThrow(`cannot read gate config ${sub}: EISDIR`);
    const bad = write('{ threshold: 0.1 }');
    expect(() => loadGateConfig(bad)).toThrow(`gate config ${bad} is not valid JSON`);
    // 64 KiB exactly is read (and is valid JSON padded with spaces); a byte more is refused unread
    const at = write(`{}${' '.repeat(64 * 1024 - 2)}`);
    expect(loadGateConfig(at).threshold).toBe(0.05);
    const over = write(`{}${' '.repeat(64 * 1024 - 1)}`);
    expect(() => loadGateConfig(over)).toThrow(`gate config ${over} is larger than 64 KiB: not a gate config`);
  });
});

describe('one glitching trial', () => {
  // eight trials a side, current 15% down; one of its trials a glitch far the other way (a stall in the baseline's host trial makes such a ratio)
  const base = [100, 101, 99, 102, 98, 100.5, 99.5, 101.5];
  const cur = [85, 84, 86, 85.5, 84.5, 83, 85.2, 10_000];
  it('the robust test (ranks, the default) still calls the drop a regression; the test on the means is swayed and does not', () => {
    const robust = decide(base, cur, 'higher', 0.05);
    expect(robust.verdict).toBe('regression');
    expect(robust.p).toBeLessThan(0.05);
    const mean = decide(base, cur, 'higher', 0.05, 0.05, 'mean');
    expect(mean.verdict).not.toBe('regression');
    expect(mean.p).toBeGreaterThan(0.3);
    expect(isRegression(base, cur, 'higher', 0.05)).toBe(true);
    expect(isRegression(base, cur, 'higher', 0.05, 0.05, 'mean')).toBe(false);
  });
});
