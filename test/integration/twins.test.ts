/**
 * A real A/A: two identically built bridges in one run, measured like any two
 * topologies. Nothing differs between them but their names, so no comparison of the
 * twins may be decided "better" or "worse", and every interval must hold no difference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareAll } from '../../src/report/verdicts.js';
import { parseResults } from '../../src/results/validate.js';
import { bench } from '../support/cli.js';
import { BRIDGE_TWINS } from '../support/fixtures.js';
import { ourNetns } from '../support/netns.js';
import { scratchDir } from '../support/scratch.js';

describe('two identically built twins in one run', () => {
  it('are never decided better or worse than each other, and every interval holds no difference', async () => {
    const out = join(scratchDir('twins'), 'run');
    // 8 blocks of 0.25 s trials: enough pairs for every interval to be bounded (3 or fewer leave it unbounded)
    const r = await bench(['run', '--topology', BRIDGE_TWINS[0], '--against', BRIDGE_TWINS[1], '--workload', 'tcp-stream,tcp-rr', '--path', 'c1-peer', '--trials', '8', '--duration', '0.25', '--warmup', '1', '--no-trace', '--busy', 'keep', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const results = parseResults(readFileSync(join(out, 'results.json'), 'utf8'), out);
    const twins = compareAll(results).rows.filter((c) => c.a === 'twin-a' && c.b === 'twin-b');
    // tcp-stream throughput, tcp-rr rate and P99
    expect(twins.map((c) => `${c.workload} ${c.metric}`).sort()).toEqual(['tcp-rr p99_us', 'tcp-rr tps', 'tcp-stream throughput_gbps']);
    for (const c of twins) {
      const v = c.verdict;
      expect(v.n, c.sentence).toBeGreaterThanOrEqual(6);
      expect(['same', 'inconclusive'], c.sentence).toContain(v.kind);
      expect(Number.isFinite(v.effectLow) && Number.isFinite(v.effectHigh), c.sentence).toBe(true);
      expect(v.effectLow, c.sentence).toBeLessThanOrEqual(0);
      expect(v.effectHigh, c.sentence).toBeGreaterThanOrEqual(0);
    }
    expect(ourNetns()).toEqual([]);
  }, 300_000);
});
