/**
 * A short real `bench run` over host, nat, bridge, ovs and macvlan-bridge: every
 * applicable cell has positive figures, every inapplicable one says why, the results
 * match the schema, and Ctrl-C keeps what was measured.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../../src/results/types.js';
import { resultsSchemaErrors } from '../../src/results/validate.js';
import { WORKLOADS, type WorkloadName } from '../../src/workloads/registry.js';
import { bench, benchBackground } from '../support/cli.js';
import { ourNetns } from '../support/netns.js';
import { waitFor } from '../support/poll.js';
import { scratchDir } from '../support/scratch.js';

/** a trial measured while the machine was busy (flagged, re-run, left out) */
const busy = (t: Results['trials'][number]): boolean => t.status === 'ok' && t.contaminated !== undefined;

describe('bench run', () => {
  it('measures every applicable cell and explains every other', async () => {
    const out = scratchDir('run');
    const r = await bench(['run', '--topology', 'nat,bridge,ovs,macvlan-bridge', '--workload', 'all', '--path', 'all', '--duration', '0.25', '--trials', '1', '--warmup', '0', '--no-trace', '--seed', '7', '--noise-profile', '3', '--out', out, '--json']);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    // No quiet machine is assumed. Another process's CPU during a trial makes it "busy": it is re-run twice in its block,
    // and a cell with no trial left is named as missing, exit 4 (on this 2-core machine a mutation run beside the test
    // does this to every cell). Each such cell must have exactly its three busy trials, each naming what was busy.
    const cells = new Map<string, Results['trials'][number][]>();
    for (const t of results.trials) cells.set(`${t.topology} ${t.workload} ${t.path}`, [...(cells.get(`${t.topology} ${t.workload} ${t.path}`) ?? []), t]);
    const unmeasured = [...cells].filter(([, ts]) => ts.every(busy));
    for (const [cell, ts] of unmeasured) {
      expect(ts.length, cell).toBe(3);
      for (const t of ts) expect(t.status === 'ok' && t.contaminated, cell).toMatch(/ of a CPU/);
    }
    // a busy trial is re-run only while its cell has none measured: a measured cell's busy trials all come before its measured one
    for (const [cell, ts] of cells) expect(ts.slice(0, -1).every(busy), cell).toBe(true);
    // listed in the run's order of topologies, paths, workloads
    const unmeasuredKeys = new Set(unmeasured.map(([cell]) => cell));
    const c = results.config;
    const missing = c.topologies.flatMap((t) => c.paths.flatMap((p) => c.workloads.map((w) => `${t} ${w} ${p}`))).filter((k) => unmeasuredKeys.has(k)).map((k) => `  - ${k}: no successful trial (3 taken while the machine was busy)`);
    expect(missing).toHaveLength(unmeasured.length);
    // not a terminal: stderr has the run's header and plain progress lines (one per phase); on a busy machine also its
    // warning and the missing cells, nothing else
    const lines = r.stderr.trim().split('\n');
    const other = lines.filter((l) => !/^run \S+: |^\[\d+(m\d\d)?s\] |^warning: the machine is busy: /.test(l));
    expect(other, r.stderr).toEqual(missing.length ? ['netbench: the run measured less than it was asked to:', ...missing] : []);
    expect(r.code).toBe(missing.length ? 4 : 0);
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d+(m\d\d)?s\] building nat$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d+(m\d\d)?s\] noise profile: the host path for 3 s, a figure every 100 ms$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d+(m\d\d)?s\] block 1: trial \d+ of \d+, about /));
    expect(lines.filter((l) => /^\[/.test(l)).at(-1)).toMatch(/^\[\d+(m\d\d)?s\] tearing down$/);
    expect(resultsSchemaErrors(results)).toEqual([]);
    expect(results.status).toBe('complete');
    expect(results.seed).toBe(7);
    expect(results.config.topologies).toEqual(['host', 'nat', 'bridge', 'ovs', 'macvlan-bridge']);
    const failed = results.trials.filter((t) => t.status !== 'ok');
    expect(failed.map((t) => `${t.topology} ${t.workload} ${t.path}: ${t.error}`)).toEqual([]);
    // every applicable cell: each workload's primary metric is positive, raw output saved
    const applicable = new Set(results.trials.map((t) => `${t.topology}/${t.path}`));
    for (const t of results.trials) {
      const primary = WORKLOADS[t.workload as WorkloadName].primary;
      expect(t.metrics[primary]?.value, `${t.topology} ${t.workload} ${t.path}`).toBeGreaterThan(0);
      expect(existsSync(join(out, t.raw[0]!))).toBe(true);
    }
    expect(applicable).toEqual(new Set(['host/c1-peer', 'host/peer-c1', 'nat/c1-peer', 'nat/peer-c1', 'nat/c1-c2', 'bridge/c1-peer', 'bridge/peer-c1', 'bridge/c1-c2', 'ovs/c1-peer', 'ovs/peer-c1', 'ovs/c1-c2', 'macvlan-bridge/c1-peer', 'macvlan-bridge/peer-c1', 'macvlan-bridge/c1-c2']));
    expect(results.notApplicable).toEqual([{ topology: 'host', path: 'c1-c2', reason: 'not applicable, because the host baseline has no containers' }]);
    // environment: datapath, sysctls and offloads recorded
    const ovs = results.environment.topologies.find((t) => t.name === 'ovs')!;
    expect(['system', 'netdev']).toContain(ovs.datapath);
    expect(results.environment.topologies.find((t) => t.name === 'nat')!.ipForward).toBe('1');
    expect(Object.keys(ovs.interfaces[0]!.offloads)).toContain('tx-checksumming');
    expect(results.caveats.some((c) => c.startsWith('ovs: ovs ran on the'))).toBe(true);
    // the noise profile: 3 s of the host path before the trials, 1-s figures 1 s apart (the only gap 3 s can hold)
    const noise = results.environment.noise!;
    expect(noise.seconds).toBeGreaterThan(2.5);
    expect(noise.meanGbps).toBeGreaterThan(0.1);
    expect(noise.spreads.map((x) => x.gapS)).toEqual([1]);
    expect(noise.spreads[0]!.spread).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Noise on the day: 1-s figures of the host path \(mean [\d.]+ Gbit\/s\) differ by [\d.]+% 1 s apart/);
    // every non-host cell has a ratio to host on the paths host carries
    const s = results.summary.find((x) => x.topology === 'macvlan-bridge' && x.workload === 'tcp-stream' && x.path === 'c1-peer' && x.metric === 'throughput_gbps')!;
    // (on a busy machine, only when both of its cells kept a measured trial)
    if (!unmeasuredKeys.has('host tcp-stream c1-peer') && !unmeasuredKeys.has('macvlan-bridge tcp-stream c1-peer')) expect(s.ratioToHost?.median).toBeGreaterThan(0);
    else expect(s.ratioToHost).toBeNull();
    expect(ourNetns()).toEqual([]);
  });

  it('Ctrl-C mid-run tears down and keeps the trials measured so far, marked interrupted', async () => {
    const out = scratchDir('run-int');
    const child = benchBackground(['run', '--topology', 'bridge', '--workload', 'tcp-stream', '--duration', '1', '--trials', '20', '--warmup', '0', '--no-trace', '--out', out]);
    const trialsDone = () => {
      try {
        return (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results).trials.length;
      } catch {
        return 0;
      }
    };
    expect(await waitFor(() => trialsDone() >= 2, 60_000)).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.status).toBe('interrupted');
    expect(results.trials.filter((t) => t.status === 'ok').length).toBeGreaterThanOrEqual(2);
    expect(resultsSchemaErrors(results)).toEqual([]);
    expect(ourNetns()).toEqual([]);
  });

  it('refuses an unknown workload with the valid ones, exit 2', async () => {
    const r = await bench(['run', '--workload', 'tcp-maerts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('valid workloads: tcp-stream, tcp-stream-4, udp-pps, tcp-rr, udp-rr, tcp-crr');
  });

  it('a run that measured less than asked exits 4 and says what is missing', async () => {
    const out = scratchDir('run-partial');
    // the bridge topology's own bridge cannot be created: it is rolled back, the run goes on without it
    const r = await bench(['run', '--topology', 'bridge,macvlan-bridge', '--workload', 'tcp-rr', '--path', 'c1-peer', '--duration', '1', '--trials', '1', '--warmup', '0', '--no-trace', '--out', out], { NETBENCH_INJECT_FAULT: '1:-dbr type bridge' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/the run measured less than it was asked to:\n {2}- bridge was not measured: it could not be built or is broken/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    // one trial, or (on a busy machine) up to two re-runs of it, each after a busy one
    const mb = results.trials.filter((t) => t.topology === 'macvlan-bridge');
    expect(mb.every((t) => t.status === 'ok')).toBe(true);
    expect(mb.length).toBeGreaterThanOrEqual(1);
    expect(mb.length).toBeLessThanOrEqual(3);
    expect(mb.slice(0, -1).every(busy)).toBe(true);
    expect(ourNetns()).toEqual([]);
  });
});
