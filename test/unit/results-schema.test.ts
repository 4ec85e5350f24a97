import { describe, expect, it } from 'vitest';
import { summarizeTrials } from '../../src/results/summarize.js';
import { resultsSchemaErrors } from '../../src/results/validate.js';
import { failed, syntheticResults, trial } from '../support/synthetic.js';

describe('results schema', () => {
  const trials = [trial('host', 0, 100), trial('host', 1, 110), trial('host', 2, 90), trial('bridge', 0, 80), trial('bridge', 1, 99), failed('bridge', 2, 'netperf: no output')];
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
  it('rejects a failed trial without its reason, and unknown keys', () => {
    const { error: _error, ...noReason } = failed('host', 0, 'x');
    expect(resultsSchemaErrors(JSON.parse(JSON.stringify({ ...syntheticResults([]), trials: [noReason] }))).join(' ')).toMatch(/must have required property 'error'/);
    expect(resultsSchemaErrors({ ...syntheticResults(trials), extra: 1 }).join(' ')).toMatch(/must NOT have additional properties/);
  });
});
