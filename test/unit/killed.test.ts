/**
 * A run killed before it finished: its results.json said "running" forever. Its own
 * ledger records where the results are; `bench clean` marks them "killed", with when the
 * run last wrote and who cleaned up, and reports and the site say so.
 */
import { readFileSync, writeFileSync, existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clean } from '../../src/lab/clean.js';
import { Ledger, RUN_LEDGER } from '../../src/lab/ledger.js';
import { RunStore } from '../../src/results/store.js';
import { loadResults } from '../../src/results/validate.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { resolveRunConfig } from '../../src/run/config.js';
import { executeRun } from '../../src/run/execute.js';
import type { OkTrial } from '../../src/results/types.js';
import type { TrialFn } from '../../src/run/measure.js';
import { syntheticResults, trial } from '../support/synthetic.js';
import { simulatedKernel, tempState } from '../support/fakes.js';

let cleanup = () => {};
afterEach(() => cleanup());

function runningRun() {
  const t = tempState();
  cleanup = t.cleanup;
  const store = new RunStore(join(t.state.root, 'out'));
  store.init();
  store.writeResults({ ...syntheticResults([trial('host', 0, 1000), trial('bridge', 0, 900)]), status: 'running', statusReason: null, endedAt: null });
  const lastWrite = new Date('2026-12-03T08:00:00.000Z');
  utimesSync(store.resultsPath, lastWrite, lastWrite);
  const ledger = Ledger.create(t.state.ledgers, `abcd-${RUN_LEDGER}`, { tag: 'abcd', topology: RUN_LEDGER, pid: 4242, command: 'bench run', createdAt: 'now' });
  ledger.append({ kind: 'results', runId: '20261128-070000-abcd', path: store.resultsPath });
  return { t, store };
}

describe('a killed run', () => {
  it('bench clean marks its results "killed", atomically, with when it last wrote and who cleaned up; its trials are kept', async () => {
    const { t, store } = runningRun();
    const report = await clean({ runner: simulatedKernel().runner, state: t.state, dryRun: false });
    expect(report.errors).toEqual([]);
    expect(report.actions[0]).toBe('tearing down the record of run abcd (pid 4242: bench run)');
    expect(report.actions).toContain('  run 20261128-070000-abcd never finished: its results (' + store.resultsPath + ') now say "killed"');
    const r = loadResults(store.resultsPath);
    expect(r.status).toBe('killed');
    expect(r.endedAt).toBe('2026-12-03T08:00:00.000Z');
    expect(r.statusReason).toMatch(/^killed: the run's process ended without finishing \(last results written 2026-12-03T08:00:00\.000Z\); found and cleaned up by bench clean \(pid \d+, user \w+\) at 20\d\d-/);
    expect(r.trials).toHaveLength(2);
    expect(readdirSync(t.state.ledgers)).toEqual([]);
    expect(readdirSync(store.dir).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('a dry run says what it would do and changes nothing', async () => {
    const { t, store } = runningRun();
    const report = await clean({ runner: simulatedKernel().runner, state: t.state, dryRun: true });
    expect(report.actions).toContain(`  would mark run 20261128-070000-abcd killed in ${store.resultsPath}, if it still says running`);
    expect(loadResults(store.resultsPath).status).toBe('running');
  });

  it('a run that finished, or results that are gone, are left as they are', () => {
    const { store } = runningRun();
    const done = syntheticResults([trial('host', 0, 1000)]);
    store.writeResults(done);
    expect(RunStore.markKilled(store.resultsPath, 'test')).toBe('finished');
    expect(readFileSync(store.resultsPath, 'utf8')).toBe(`${JSON.stringify(done, null, 2)}\n`);
    expect(RunStore.markKilled(join(store.dir, 'nothing.json'), 'test')).toBe('missing');
    writeFileSync(store.resultsPath, 'not json');
    expect(RunStore.markKilled(store.resultsPath, 'test')).toBe('missing');
  });

  it('a run that ends, however it ends, removes its record: nothing for clean to mark', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const cfg = resolveRunConfig({ topology: 'host', workload: 'tcp-rr', path: 'c1-peer', trials: 1, warmup: 0, seed: 1, out: join(t.state.root, 'out'), trace: false });
    let seenDuring: string[] = [];
    const trialFn: TrialFn = async (s) => {
      seenDuring = readdirSync(t.state.ledgers);
      const rec: OkTrial = { ...s, status: 'ok', metrics: { tps: { value: 1, unit: 'transactions/s' } }, flags: [], raw: [], startedAt: '', durationMs: 1 };
      return rec;
    };
    await executeRun(cfg, { runner: simulatedKernel().runner, state: t.state, aborted: () => false, command: 'test' }, { trialFn });
    expect(seenDuring).toContain(`${cfg.tag}-${RUN_LEDGER}.jsonl`);
    expect(existsSync(t.state.ledgers) ? readdirSync(t.state.ledgers) : []).toEqual([]);
  });

  it('its report says so first', () => {
    const r = { ...syntheticResults([trial('host', 0, 1000)]), status: 'killed' as const, statusReason: 'killed: the run\'s process ended without finishing' };
    const md = renderMarkdown(r).split('\n');
    expect(md[0]).toMatch(/, killed\)$/);
    expect(md[2]).toBe('**This run is killed, not complete**: killed: the run\'s process ended without finishing. Its figures are partial.');
  });
});
