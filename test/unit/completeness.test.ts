/**
 * What a run says it did not measure (exit 4's list), and a run narrowed to some
 * workloads and paths (what `bench gate --workload/--path` compares).
 */
import { describe, expect, it } from 'vitest';
import { failedTrials, sameCell, tracedTrials } from '../../src/results/cell.js';
import { missingFromRun } from '../../src/results/completeness.js';
import { selectCells } from '../../src/results/subset.js';
import type { Results, TrialRecord } from '../../src/results/types.js';
import { failed, syntheticResults, trial } from '../support/synthetic.js';

/** host, bridge and ovs; tcp-rr and udp-rr; c1-peer and c1-c2 (host cannot carry c1-c2) */
function wide(trials: TrialRecord[], extra: Partial<Results> = {}): Results {
  const r = syntheticResults(trials);
  return { ...r, config: { ...r.config, topologies: ['host', 'bridge', 'ovs'], workloads: ['tcp-rr', 'udp-rr'], paths: ['c1-peer', 'c1-c2'] }, ...extra };
}

/** one measured trial in every cell of `wide`, but those named in `except` */
function everyCell(except: string[] = []): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (const topology of ['host', 'bridge', 'ovs'])
    for (const workload of ['tcp-rr', 'udp-rr'] as const)
      for (const path of ['c1-peer', 'c1-c2'] as const) {
        if (topology === 'host' && path === 'c1-c2') continue;
        if (except.includes(`${topology} ${workload} ${path}`)) continue;
        out.push(trial(topology, 0, 1000, { workload, path }));
      }
  return out;
}

describe('what a run did not measure', () => {
  it('nothing, when every cell it could carry has a measured trial; a path the topology cannot carry is not missing', () => {
    expect(missingFromRun(wide(everyCell()))).toEqual([]);
  });

  it('a run that did not complete says so first, with its reason when it has one', () => {
    expect(missingFromRun(wide(everyCell(), { status: 'interrupted', statusReason: 'SIGINT' }))).toEqual(['the run is interrupted (SIGINT)']);
    expect(missingFromRun(wide(everyCell(), { status: 'killed', statusReason: null }))).toEqual(['the run is killed']);
  });

  it('a topology that could not be built is one line, not a line per cell', () => {
    const notBuilt = (path: 'c1-peer' | 'c1-c2') => ({ topology: 'ovs', path, reason: 'not measured, because ovs could not be built or is broken (see caveats)' });
    const r = wide(everyCell(['ovs tcp-rr c1-peer', 'ovs udp-rr c1-peer', 'ovs tcp-rr c1-c2', 'ovs udp-rr c1-c2']), {
      notApplicable: [{ topology: 'host', path: 'c1-c2', reason: 'not applicable, because the host baseline has no containers' }, notBuilt('c1-peer'), notBuilt('c1-c2')],
    });
    expect(missingFromRun(r)).toEqual(['ovs was not measured: it could not be built or is broken (see caveats)']);
  });

  it('a cell without a measured trial, with why: failed and busy trials counted, warm-ups, traced trials and other cells not', () => {
    const cell = { workload: 'udp-rr' as const, path: 'c1-c2' as const };
    const r = wide([
      ...everyCell(['bridge udp-rr c1-c2', 'ovs tcp-rr c1-peer']),
      failed('bridge', 0, 'netperf: timed out', cell),
      failed('bridge', 1, 'netperf: timed out', cell),
      trial('bridge', 2, 900, { ...cell, contaminated: 'other processes used 60% of a CPU' }),
      // none of these is a measured trial of the cell, and none is counted in its why
      trial('bridge', 3, 900, { ...cell, warmup: true }),
      trial('bridge', 4, 900, { ...cell, traced: true }),
      failed('bridge', 5, 'x', { ...cell, warmup: true }),
      failed('bridge', 6, 'x', { ...cell, traced: true }),
      failed('ovs', 0, 'x', cell),
      failed('bridge', 0, 'x', { workload: 'tcp-rr', path: 'c1-c2' }),
      failed('bridge', 0, 'x', { workload: 'udp-rr', path: 'c1-peer' }),
      // the other missing cell: nothing tried at all
    ]);
    expect(missingFromRun(r)).toEqual(['bridge udp-rr c1-c2: no successful trial (2 failed, 1 taken while the machine was busy)', 'ovs tcp-rr c1-peer: no successful trial']);
    expect(missingFromRun(wide([...everyCell(['bridge udp-rr c1-c2']), failed('bridge', 0, 'x', cell)]))).toEqual(['bridge udp-rr c1-c2: no successful trial (1 failed)']);
  });
});

describe('a run narrowed to some workloads and paths', () => {
  const base = (): Results => {
    const trials = everyCell();
    const r = wide(trials, { notApplicable: [{ topology: 'host', path: 'c1-c2', reason: 'not applicable, because the host baseline has no containers' }] });
    const cells = trials.map((t) => ({ topology: t.topology, workload: t.workload, path: t.path }));
    const tracing = { enabled: true, available: true, cells: cells.map((c) => ({ ...c, k: 'cell' })), cdf: cells.map((c) => ({ ...c, k: 'cdf' })), hops: cells.map((c) => ({ ...c, k: 'hop' })), overhead: cells.map((c) => ({ ...c, k: 'overhead' })) };
    return { ...r, tracing } as unknown as Results;
  };
  const key = (x: { topology: string; workload: string; path: string }) => `${x.topology} ${x.workload} ${x.path}`;

  it('keeps only the cells of the workloads and paths asked for, in settings, trials, summary and tracing alike', () => {
    const r = base();
    const s = selectCells(r, { workloads: ['udp-rr'], paths: ['c1-c2'] });
    expect(s.config.workloads).toEqual(['udp-rr']);
    expect(s.config.paths).toEqual(['c1-c2']);
    expect(s.config.topologies).toEqual(['host', 'bridge', 'ovs']);
    expect(s.trials.map(key)).toEqual(['bridge udp-rr c1-c2', 'ovs udp-rr c1-c2']);
    expect(s.summary).toEqual(r.summary.filter((x) => x.workload === 'udp-rr' && x.path === 'c1-c2'));
    expect(new Set(s.summary.map(key))).toEqual(new Set(['bridge udp-rr c1-c2', 'ovs udp-rr c1-c2']));
    const t = s.tracing as unknown as Record<'cells' | 'cdf' | 'hops' | 'overhead', { topology: string; workload: string; path: string; k: string }[]> & { enabled: boolean };
    expect(t.enabled).toBe(true);
    for (const part of ['cells', 'cdf', 'hops', 'overhead'] as const) expect(t[part].map((x) => `${key(x)} ${x.k}`), part).toEqual(['bridge udp-rr c1-c2', 'ovs udp-rr c1-c2'].map((c) => `${c} ${t[part][0]!.k}`));
    expect(s.notApplicable).toEqual([{ topology: 'host', path: 'c1-c2', reason: 'not applicable, because the host baseline has no containers' }]);
    expect(selectCells(r, { paths: ['c1-peer'] }).notApplicable).toEqual([]);
    // the run it came from is not changed
    expect(r.trials).toHaveLength(10);
  });

  it('a selection left out keeps everything of that kind; a path alone keeps every workload on it, a workload alone every path', () => {
    const r = base();
    expect(selectCells(r, {})).toEqual(r);
    expect(selectCells(r, { paths: ['c1-peer'] }).trials.map(key)).toEqual(['host tcp-rr c1-peer', 'host udp-rr c1-peer', 'bridge tcp-rr c1-peer', 'bridge udp-rr c1-peer', 'ovs tcp-rr c1-peer', 'ovs udp-rr c1-peer']);
    expect(selectCells(r, { workloads: ['tcp-rr'] }).trials.map(key)).toEqual(['host tcp-rr c1-peer', 'bridge tcp-rr c1-peer', 'bridge tcp-rr c1-c2', 'ovs tcp-rr c1-peer', 'ovs tcp-rr c1-c2']);
  });

  it('a run without tracing stays without it', () => {
    const { tracing: _t, ...untraced } = base();
    expect('tracing' in selectCells(untraced as Results, { paths: ['c1-peer'] })).toBe(false);
  });
});

describe('which trials count', () => {
  it('a cell is its topology, workload and path together', () => {
    const c = { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' } as const;
    expect(sameCell(c, { ...c })).toBe(true);
    expect(sameCell(c, { ...c, topology: 'ovs' })).toBe(false);
    expect(sameCell(c, { ...c, workload: 'udp-rr' })).toBe(false);
    expect(sameCell(c, { ...c, path: 'c1-c2' })).toBe(false);
  });

  it('traced trials: successful, not warm-ups, of the cell; failed trials: not warm-ups, of any cell', () => {
    const c = { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' } as const;
    const ts = [
      trial('bridge', 0, 1, { traced: true, index: 1 }),
      trial('bridge', 1, 1, { traced: true, warmup: true, index: 2 }),
      failed('bridge', 2, 'x', { traced: true, index: 3 }),
      trial('bridge', 3, 1, { index: 4 }),
      trial('ovs', 4, 1, { traced: true, index: 5 }),
      failed('ovs', 5, 'y', { index: 6 }),
      failed('ovs', 6, 'z', { warmup: true, index: 7 }),
    ];
    expect(tracedTrials(ts, c).map((t) => t.index)).toEqual([1]);
    expect(failedTrials(ts).map((t) => t.index)).toEqual([3, 6]);
  });
});
