/**
 * The gate on real traffic: an A/A comparison passes; a TBF rate limit on c1's
 * interface and a few thousand iptables rules in hostA's FORWARD chain both fail it,
 * naming the metric that regressed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadResults } from '../../src/results/validate.js';
import { bench } from '../support/cli.js';
import { ourNetns } from '../support/netns.js';
import { scratchDir } from '../support/scratch.js';

// nat carries both slowdowns: c1's interface for the TBF, hostA's FORWARD chain for the rules.
// Short trials (0.25 s, sized by count after the warm-up): the gate judges trials, not their length.
// --busy keep: on a runner that is never quiet the runs still measure (docs/methodology.md, "A busy machine")
const COMMON = ['--topology', 'nat', '--path', 'c1-peer', '--duration', '0.25', '--warmup', '1', '--no-trace', '--busy', 'keep'];
const RUN = [...COMMON, '--trials', '6'];
const BOTH = ['--workload', 'tcp-stream,tcp-crr'];
const dir = scratchDir('gate');
const runInto = async (name: string, extra: string[]) => {
  const out = join(dir, name);
  const r = await bench(['run', ...RUN, '--out', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return join(out, 'results.json');
};

interface GateJson {
  exitCode: number;
  rows: { topology: string; workload: string; metric: string; verdict: string; change: number; suspect: boolean }[];
}

describe('bench gate on real runs', () => {
  let baseline = '';
  beforeAll(async () => {
    baseline = await runInto('baseline', BOTH);
  }, 600_000);

  it('A/A: one run\'s even blocks against its odd ones: no metric, or at most the family\'s one false alarm, regressed', async () => {
    // The two sides are one run's even and odd blocks: measured in turn, as exchangeable as the gate's test
    // assumes. Two separate runs are not: this machine's level moves between runs seconds apart (CI, 2026-12-04:
    // host 8.5-12.2 Gbit/s in one run, 15.5-20.0 in the next, 15 s later, and nat's CPU cost per GB against
    // host 1.12 then 1.30, called a regression), which the gate cannot tell from a change in the product
    // (docs/methodology.md, "The gate").
    const out = join(dir, 'aa');
    const r0 = await bench(['run', ...COMMON, '--trials', '12', ...BOTH, '--out', out]);
    expect(r0.code, r0.stderr).toBe(0);
    const whole = loadResults(join(out, 'results.json'));
    const half = (k: number) => {
      const file = join(dir, `aa-${k}.json`);
      writeFileSync(file, JSON.stringify({ ...whole, config: { ...whole.config, trials: 6 }, trials: whole.trials.filter((t) => t.warmup || t.block % 2 === k) }));
      return file;
    };
    const [even, odd] = [half(0), half(1)];
    expect(new Set(loadResults(odd).trials.filter((t) => !t.warmup).map((t) => t.block))).toEqual(new Set([1, 3, 5, 7, 9, 11]));
    const r = await bench(['gate', '--baseline', even, '--current', odd, '--json', '--junit', join(dir, 'aa.xml'), '--markdown', join(dir, 'aa.md')]);
    const j = JSON.parse(r.stdout) as GateJson;
    expect(j.rows.length).toBeGreaterThanOrEqual(8);
    // The gate holds the chance of any false alarm in a family of metrics at alpha (5%, Holm): one regression in an
    // A/A is that 5% (CI, 2026-12-04: nat tcp-crr CPU per transaction, even blocks 1.21-1.40 x host, odd 1.37-1.49,
    // p = 0.0043, 0.035 after Holm). The rate itself is the unit A/A simulation's to check; here, a gate that
    // called several metrics of one run against itself regressed is broken.
    const regressed = j.rows.filter((x) => x.verdict === 'regression');
    expect(regressed.length, JSON.stringify(regressed)).toBeLessThanOrEqual(1);
    // the gate fails safe on a metric whose estimate strays past the threshold without proof (exit 3), and only then
    const suspect = j.rows.filter((x) => x.suspect);
    expect(r.code, JSON.stringify(suspect)).toBe(regressed.length ? 1 : suspect.length ? 3 : 0);
    expect(readFileSync(join(dir, 'aa.xml'), 'utf8')).toMatch(new RegExp(`failures="${regressed.length}"`));
    expect(readFileSync(join(dir, 'aa.md'), 'utf8')).toMatch(regressed.length ? /^## netbench gate: REGRESSION in 1 metric/ : suspect.length ? /^## netbench gate: SUSPECT in/ : /^## netbench gate: no regression/);
  });

  it('a TBF rate limit on c1 fails the gate on throughput', async () => {
    // a limit at a quarter of what nat measured in the baseline bites on any machine, fast or slow, and still
    // shows in the ratio to host when the machine runs at half its baseline speed during the slow run
    const base = loadResults(baseline);
    const natGbps = base.summary.find((s) => s.topology === 'nat' && s.workload === 'tcp-stream' && s.metric === 'throughput_gbps')?.median ?? NaN;
    expect(natGbps).toBeGreaterThan(0);
    const rate = `${Math.max(1, Math.round(natGbps * 250))}mbit`;
    const slow = await runInto('tbf', ['--workload', 'tcp-stream', '--inject', `tbf:${rate}`]);
    // the slow run measured tcp-stream only: judge that workload alone (a cell missing from the current run would fail the gate)
    const missing = await bench(['gate', '--baseline', baseline, '--current', slow]);
    expect(missing.code).toBe(4);
    expect(missing.stdout).toMatch(/FAIL: the current run lacks nat tcp-crr c1-peer/);
    const r = await bench(['gate', '--baseline', baseline, '--current', slow, '--workload', 'tcp-stream', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as GateJson;
    const hit = j.rows.filter((x) => x.verdict === 'regression').map((x) => `${x.topology} ${x.workload} ${x.metric}`);
    expect(hit).toContain('nat tcp-stream throughput_gbps');
    // The ratio to host moves with host too: when the machine ran slower during the slow run than during the
    // baseline, the relative drop is smaller than the limit's (CI, 2026-12-04: a half-rate limit gave -16% to
    // host). The limit's own size shows in absolute figures, where the TBF caps nat at a quarter of the baseline.
    const abs = await bench(['gate', '--baseline', baseline, '--current', slow, '--workload', 'tcp-stream', '--absolute', '--json']);
    const drop = (JSON.parse(abs.stdout) as GateJson).rows.find((x) => x.topology === 'nat' && x.metric === 'throughput_gbps')!.change;
    expect(drop).toBeLessThan(-0.6);
    expect(abs.code).toBe(1);
    const text = await bench(['gate', '--baseline', baseline, '--current', slow, '--workload', 'tcp-stream']);
    expect(text.stdout).toMatch(/REGRESSION in \d+ metric\(s\): .*nat tcp-stream c1-peer throughput_gbps/);
  });

  it('thousands of FORWARD rules in hostA fail the gate on tcp-crr', async () => {
    const slow = await runInto('rules', ['--workload', 'tcp-crr', '--inject', 'forward-rules:3000']);
    const r = await bench(['gate', '--baseline', baseline, '--current', slow, '--workload', 'tcp-crr', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as GateJson;
    expect(j.rows.filter((x) => x.verdict === 'regression').map((x) => `${x.topology} ${x.workload} ${x.metric}`)).toContain('nat tcp-crr tps');
  });

  it('refuses to compare runs of different topology sets, exit 2', async () => {
    const other = join(dir, 'other');
    // six trials a side: enough for the gate to find a regression at all (two against two can never reach p < 0.05)
    const r0 = await bench(['run', '--topology', 'macvlan-bridge', '--workload', 'tcp-rr', '--path', 'c1-peer', '--trials', '6', '--duration', '0.25', '--warmup', '0', '--no-trace', '--busy', 'keep', '--out', other]);
    expect(r0.code).toBe(0);
    const r = await bench(['gate', '--baseline', baseline, '--current', join(other, 'results.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to compare .*topology sets differ/);
    // --run measures what the baseline measured, adaptively: the gate looks after 6 blocks (the baseline's) and at most 3 more times, to 12
    const again = await bench(['gate', '--baseline', join(other, 'results.json'), '--run', '--no-trace', '--warmup', '0', '--busy', 'keep', '--out', join(dir, 'other-again'), '--json']);
    const j = JSON.parse(again.stdout) as GateJson & { sequence: { looks: number[]; alphaPerLook: number; blocks: number; stopped: string | null } };
    expect(j.sequence.looks).toEqual([6, 8, 10, 12]);
    expect(j.sequence.alphaPerLook).toBeCloseTo(0.0125, 10);
    // it stops at a look where everything is decided, or runs to the last
    expect(j.sequence.stopped === null ? [12] : j.sequence.looks, j.sequence.stopped ?? '').toContain(j.sequence.blocks);
    const blocks = new Set(loadResults(join(dir, 'other-again', 'results.json')).trials.map((t) => t.block));
    expect(blocks.size).toBe(j.sequence.blocks);
    expect(j.rows.map((x) => `${x.topology} ${x.workload}`)).toContain('macvlan-bridge tcp-rr');
    // The verdict of this second run is not asserted: two runs 20 s apart on a shared VM can differ by more than
    // the 5% threshold (CI, 2026-12-03: macvlan-bridge/host tcp-rr 1.06 -> 0.96 between the two runs, called a
    // regression at look 2), and a gate that measures until it knows resolves such a shift (docs/methodology.md,
    // "The gate"). What is asserted is that the gate says what it found and exits accordingly.
    const regressed = j.rows.filter((x) => x.verdict === 'regression');
    expect(again.code, JSON.stringify(j.rows)).toBe(regressed.length ? 1 : j.rows.some((x) => x.suspect) ? 3 : 0);
    // a run stops at the look that found a regression or decided everything, or runs to its last look
    expect(j.sequence.stopped ?? 'ran to the last look').toMatch(regressed.length ? /^(a regression is significant at look \d of 4 \(after \d+ blocks\) \(macvlan-bridge tcp-rr c1-peer |ran to the last look)/ : /^(every gated metric is decided at look \d of 4|ran to the last look)/);
    expect(ourNetns()).toEqual([]);
  });
});
