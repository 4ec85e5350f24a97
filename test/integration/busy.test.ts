/**
 * A busy machine, for real: a CPU hog pinned to the client's CPU runs through the first
 * part of a run. The quiet check warns about it, the trials it disturbs are flagged (by
 * its pid, when nothing else is as busy), re-run and left out, the report counts them, and the verdict agrees with a
 * reference run of the same cells.
 *
 * No quiet machine is assumed. The reference run keeps what other processes disturb
 * (--busy keep). When something else keeps the machine busy too, the hog's run may end
 * with cells that never got an undisturbed trial: then it must exit 4 naming them, and
 * the verdict is compared only when it measured everything.
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
  it('is warned about, its trials are flagged and re-run, and the verdict matches a reference run', async () => {
    const refDir = scratchDir('reference');
    const ref = await bench([...ARGS, '--busy', 'keep', '--out', refDir]);
    expect(ref.code, ref.stderr).toBe(0);
    expect(verdictVsOvs(load(refDir))).toBe('better');
    // busy before the hog: another process is named, and may be named again below
    const busyAlready = /machine is busy/.test(ref.stderr);

    const busyDir = scratchDir('busy');
    const hog = spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    const hogPid = hog.pid!;
    const byHog = new RegExp(`pid ${hogPid} sh -c while`);
    let hogStopped = false;
    const stopHog = () => {
      if (!hogStopped) hog.kill('SIGKILL');
      hogStopped = true;
    };
    try {
      const run = benchBackground([...ARGS, '--out', busyDir]);
      // a flagged trial during which the hog was among the busiest processes (on a machine busy besides,
      // another may be the busiest of all and be the one the reason names)
      const hogIn = (t: Results['trials'][number]) => t.status === 'ok' && t.contaminated !== undefined && (t.interference?.top ?? []).some((i) => i.pid === hogPid);
      const caughtHog = () => {
        try {
          return load(busyDir).trials.filter(hogIn).length;
        } catch {
          return 0;
        }
      };
      let ended = false;
      void run.then(() => (ended = true));
      // the hog runs until three trials have been caught with it, then it stops
      await waitFor(() => caughtHog() >= 3 || ended, 90_000);
      expect(caughtHog()).toBeGreaterThanOrEqual(3);
      stopHog();
      const r = await run;
      const stderr = String(r.stderr);
      // the quiet check names the busiest process: the hog, unless something else was as busy
      expect(stderr).toMatch(busyAlready ? /warning: the machine is busy: another process used \d+% of CPU \d during 2\.\d s: pid \d+ / : new RegExp(`warning: the machine is busy: another process used \\d+% of CPU 0 during 2\\.\\d s: pid ${hogPid} sh -c while`));
      const res = load(busyDir);
      const flagged = res.trials.filter((t) => t.status === 'ok' && t.contaminated !== undefined);
      expect(flagged.filter(hogIn).length).toBeGreaterThanOrEqual(3);
      // on a machine the hog alone keeps busy, it is the one the reasons name
      if (!busyAlready) expect(flagged.filter((t) => t.status === 'ok' && byHog.test(t.contaminated ?? '')).length).toBeGreaterThanOrEqual(3);
      // every flagged trial says why: a process by pid, or the hypervisor's steal
      for (const t of flagged) expect(t.status === 'ok' && t.contaminated).toMatch(/^other processes used \d+% of a CPU; (the busiest: pid \d+ |none above)|^the hypervisor stole /);
      // each flagged trial is re-run in its block, at most twice: three tries in all, or a clean one
      for (const t of flagged) {
        const tries = res.trials.filter((u) => u.topology === t.topology && u.workload === t.workload && u.block === t.block && !u.warmup && !u.traced);
        const clean = tries.filter((u) => u.status === 'ok' && u.contaminated === undefined);
        expect(clean.length === 1 || (clean.length === 0 && tries.length === 3), `${t.topology} block ${t.block}: ${tries.length} tries`).toBe(true);
      }
      expect(res.caveats.some((c) => c.startsWith('before measuring, the machine is busy'))).toBe(true);
      expect(readFileSync(join(busyDir, 'report.md'), 'utf8')).toMatch(/\d+ trial\(s\) ran while the machine was busy: flagged, re-run \(at most twice\) and left out of the statistics; \d+ because other processes used the CPU \(worst: /);
      if (r.exitCode === 0) {
        expect(verdictVsOvs(res)).toBe(verdictVsOvs(load(refDir)));
      } else {
        // only another process, still busy after the hog stopped, can leave a cell without an undisturbed trial
        expect(busyAlready, `exit ${r.exitCode} on a machine that was quiet before the hog: ${stderr}`).toBe(true);
        expect(r.exitCode, stderr).toBe(4);
        expect(stderr).toMatch(/no successful trial \(.*taken while the machine was busy\)/);
      }
    } finally {
      stopHog();
    }
    expect(ourNetns()).toEqual([]);
    expect(() => execFileSync('kill', ['-0', String(hogPid)], { stdio: 'ignore' })).toThrow();
  });
});
