import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeTrials } from '../../src/results/summarize.js';
import { loadResults, MAX_RESULTS_BYTES, parseResults, resultsSchemaErrors } from '../../src/results/validate.js';
import { failed, syntheticResults, trial } from '../support/synthetic.js';
import { scratchDir } from '../support/scratch.js';

const trials = [trial('host', 0, 100), trial('host', 1, 110), trial('host', 2, 90), trial('bridge', 0, 80), trial('bridge', 1, 99), failed('bridge', 2, 'netperf: no output')];
describe('results schema', () => {
  it('accepts what summarize and the run produce', () => {
    expect(resultsSchemaErrors(syntheticResults(trials))).toEqual([]);
  });
  it('pairs ratios to host by block and counts failures', () => {
    const s = summarizeTrials(trials).find((x) => x.topology === 'bridge' && x.metric === 'tps')!;
    expect(s.n).toBe(2);
    expect(s.failed).toBe(1);
    expect(s.ratioToHost?.n).toBe(2);
    expect(s.ratioToHost?.median).toBeCloseTo((0.8 + 0.9) / 2, 12);
    expect(summarizeTrials(trials).find((x) => x.topology === 'host')?.ratioToHost).toBeNull();
  });
  it('a cell with only warm-ups or traced trials has no summary: they are never figures', () => {
    const s = summarizeTrials([...trials, trial('ovs', 0, 50, { warmup: true }), trial('nat', 0, 60, { traced: true }), trial('bridge', 3, 1, { traced: true }), trial('bridge', 4, 1, { warmup: true })]);
    expect([...new Set(s.map((x) => x.topology))]).toEqual(['host', 'bridge']);
    expect(s.find((x) => x.topology === 'bridge' && x.metric === 'tps')!.n).toBe(2);
  });
  it('rejects a failed trial without its reason, and unknown keys', () => {
    const { error: _error, ...noReason } = failed('host', 0, 'x');
    expect(resultsSchemaErrors(JSON.parse(JSON.stringify({ ...syntheticResults([]), trials: [noReason] }))).join(' ')).toMatch(/must have required property 'error'/);
    expect(resultsSchemaErrors({ ...syntheticResults(trials), extra: 1 }).join(' ')).toMatch(/must NOT have additional properties/);
  });
});

describe('reading a results file', () => {
  const fixture = () => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'results', 'traced-run.json'), 'utf8')) as Record<string, unknown> & { tracing: Record<'cells' | 'overhead' | 'hops', unknown[]> };
  const dir = () => scratchDir('results');

  it('reports every complaint, each at its place, and names at most five in the error', () => {
    const r = syntheticResults(trials);
    const bad = { ...r, seed: 'x', runId: 7, profile: 3, startedAt: 1, endedAt: 2, status: 'maybe' };
    const errors = resultsSchemaErrors(bad);
    expect(errors).toEqual(expect.arrayContaining(['/seed must be integer', '/runId must be string']));
    expect(errors.length).toBeGreaterThanOrEqual(6);
    expect(resultsSchemaErrors({ ...r, config: undefined })).toContain("/ must have required property 'config'");
    const e = (() => {
      try {
        parseResults(JSON.stringify(bad), 'bad.json');
      } catch (err) {
        return (err as Error).message;
      }
    })()!;
    expect(e).toBe(`bad.json does not match the results schema: ${errors.slice(0, 5).join('; ')}`);
  });

  it('refuses text that is not JSON, a directory, a missing file and one too large to be a run, naming each', () => {
    expect(() => parseResults('{', 'x.json')).toThrow(/^cannot read results x\.json: .*JSON/);
    const d = dir();
    mkdirSync(join(d, 'odd.json'));
    expect(() => loadResults(join(d, 'odd.json'))).toThrow(`results ${join(d, 'odd.json')} is not a regular file`);
    expect(() => loadResults(d)).toThrow(new RegExp(`^cannot read results ${join(d, 'results.json')}: .*ENOENT`));
    // a sparse file: its size is what is refused, before anything is read
    const big = join(d, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, MAX_RESULTS_BYTES + 1);
    expect(() => loadResults(big)).toThrow(`results ${big} is 256 MiB; a results file is at most 256 MiB`);
    // a run directory stands for its results.json
    writeFileSync(join(d, 'results.json'), JSON.stringify(syntheticResults(trials)));
    expect(loadResults(d).trials).toHaveLength(trials.length);
    rmSync(d, { recursive: true, force: true });
  });

  it('a version-1 file: a cell overhead becomes unresolved, and a run without tracing loads as it was', () => {
    const v2 = fixture();
    const v1 = { ...v2, schema: 'netbench.results/1', tracing: { ...v2.tracing, cells: v2.tracing.cells.map((c) => ({ ...(c as object), overhead: { ...((c as { overhead: object }).overhead), flagged: true } })) } };
    const r = parseResults(JSON.stringify(v1), 'v1.json');
    expect(r.tracing!.cells.every((c) => c.overhead !== null && c.overhead.kind === 'unresolved' && c.overhead.pairs === 0 && c.overhead.ratioLow === null)).toBe(true);
    const { tracing: _t, ...untraced } = v1;
    const plain = parseResults(JSON.stringify(untraced), 'v1-untraced.json');
    expect(plain.schema).toBe('netbench.results/2');
    expect(plain.trials).toEqual(v2.trials);
  });
});
