/**
 * A busy machine, for real: a CPU hog pinned to the client's CPU runs through the first
 * part of a run. The quiet check warns about it by pid, the trials it disturbs are
 * flagged, re-run and left out, the report counts them, and the verdict agrees with a
 * quiet run of the same cells.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../../src/results/validate.js';
import { compareAll } from '../../src/report/verdicts.js';
import type { Results } from '../../src/results/types.js';
import { bench, benchBackground } from '../support/cli.js';
import { ourNetns } from '../support/netns.js';
import { waitFor } from '../support/poll.js';
import { scratchDir } from '../support/scratch.js';

const ARGS = ['run', '--topology', 'macvlan-bridge', '--against', 'ovs', '--workload', 'tcp-stream', '--budget', '40s', '--no-trace', '--seed', '11'];

const load = (dir: string): Results => parseResults(readFileSync(join(dir, 'results.json'), 'utf8'), dir);
const verdictVsOvs = (r: Results) => compareAll(r).rows.find((x) => x.b === 'ovs')?.verdict.kind;

describe('a CPU hog during a run', () => {
  it('is warned about, its trials are flagged and re-run, and the verdict matches a quiet run', async () => {
    const quietDir = scratchDir('quiet');
    const quiet = await bench([...ARGS, '--out', quietDir]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/machine is busy/);
    expect(verdictVsOvs(load(quietDir))).toBe('better');

    const busyDir = scratchDir('busy');
    const hog = spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    const hogPid = hog.pid!;
    let hogStopped = false;
    const stopHog = () => {
      if (!hogStopped) hog.kill('SIGKILL');
      hogStopped = true;
    };
    try {
      const run = benchBackground([...ARGS, '--out', busyDir]);
      const contaminated = () => {
        try {
          return load(busyDir).trials.filter((t) => t.status === 'ok' && t.contaminated).length;
        } catch {
          return 0;
        }
      };
      // the hog runs until three trials have been caught, then the machine is quiet again
      expect(await waitFor(() => contaminated() >= 3, 60_000)).toBe(true);
      stopHog();
      const r = await run;
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stderr)).toMatch(new RegExp(`warning: the machine is busy: another process used \\d+% of CPU 0 during 2\\.\\d s: pid ${hogPid} sh -c while`));
      const res = load(busyDir);
      const flagged = res.trials.filter((t) => t.status === 'ok' && t.contaminated !== undefined);
      expect(flagged.length).toBeGreaterThanOrEqual(3);
      for (const t of flagged) expect(t.status === 'ok' && t.contaminated).toMatch(new RegExp(`pid ${hogPid} sh -c while`));
      // each flagged trial is re-run in its block, at most twice: three tries in all, or a clean one
      for (const t of flagged) {
        const tries = res.trials.filter((u) => u.topology === t.topology && u.workload === t.workload && u.block === t.block && !u.warmup && !u.traced);
        const clean = tries.filter((u) => u.status === 'ok' && u.contaminated === undefined);
        expect(clean.length === 1 || (clean.length === 0 && tries.length === 3), `${t.topology} block ${t.block}: ${tries.length} tries`).toBe(true);
      }
      expect(res.caveats.some((c) => c.includes(`pid ${hogPid}`))).toBe(true);
      expect(readFileSync(join(busyDir, 'report.md'), 'utf8')).toMatch(/\d+ trial\(s\) ran while the machine was busy: flagged, re-run \(at most twice\) and left out of the statistics; \d+ because other processes used the CPU \(worst: sh -c while/);
      expect(verdictVsOvs(res)).toBe(verdictVsOvs(load(quietDir)));
    } finally {
      stopHog();
    }
    expect(ourNetns()).toEqual([]);
    expect(() => execFileSync('kill', ['-0', String(hogPid)], { stdio: 'ignore' })).toThrow();
  });
});
