/**
 * The CPU-latency request, on this machine's kernel: held (the kernel's aggregate reads
 * 0 µs) while a run measures, released when it ends, and released by the kernel when
 * the run's whole process group is SIGKILLed; --deep-idle holds nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { currentRequestUs } from '../../src/lab/idle.js';
import type { Results } from '../../src/results/types.js';
import { bench, benchBackground } from '../support/cli.js';
import { ourNetns } from '../support/netns.js';
import { waitFor } from '../support/poll.js';
import { scratchDir } from '../support/scratch.js';

let out = '';
/** what the kernel's aggregate request reads before any run of ours: nobody else may hold 0 µs, or the release cannot be seen */
let unheld: number | null = null;

beforeAll(() => {
  out = scratchDir('idle');
  unheld = currentRequestUs();
  if (unheld === null) throw new Error('/dev/cpu_dma_latency cannot be read: the kernel lacks PM QoS, and these tests cannot see a request');
  if (unheld === 0) throw new Error('another process already holds a 0 µs CPU-latency request: these tests could not tell ours from it');
});

/** A run of host tcp-rr trials that lasts a few seconds, in a process group of its own. */
function startRun(dir: string, extra: string[] = []) {
  return benchBackground(['run', '--topology', 'host', '--workload', 'tcp-rr', '--trials', '6', '--warmup', '0', '--duration', '1', '--no-trace', '--busy', 'keep', '--out', dir, ...extra]);
}

const trialsDone = (dir: string) => {
  try {
    return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results).trials.length;
  } catch {
    return 0;
  }
};

describe('the CPU-latency request on this kernel', () => {
  it('is 0 µs while a run measures and gone when it ends; the run records it', async () => {
    const dir = join(out, 'held');
    const child = startRun(dir);
    try {
      expect(await waitFor(() => trialsDone(dir) >= 1, 60_000)).toBe(true);
      expect(currentRequestUs()).toBe(0);
    } finally {
      const r = await child;
      expect(r.exitCode, String(r.stderr)).toBe(0);
    }
    expect(currentRequestUs()).toBe(unheld);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    expect(res.environment.idle?.requestUs).toBe(0);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/CPU idle: CPUs held out of idle sleep \(a 0 µs CPU-latency request for the whole run\); cpuidle driver/);
  });

  it('is released by the kernel when the run\'s process group is SIGKILLed', async () => {
    const dir = join(out, 'killed');
    const child = startRun(dir);
    try {
      expect(await waitFor(() => trialsDone(dir) >= 1, 60_000)).toBe(true);
      expect(currentRequestUs()).toBe(0);
      expect(child.exitCode).toBeNull();
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      await child;
    }
    expect(await waitFor(() => currentRequestUs() === unheld, 5000)).toBe(true);
    const clean = await bench(['clean']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(ourNetns()).toEqual([]);
  });

  it('--deep-idle holds nothing, and the run says so', async () => {
    const dir = join(out, 'deep');
    const child = startRun(dir, ['--deep-idle']);
    const seen: (number | null)[] = [];
    try {
      expect(await waitFor(() => (seen.push(currentRequestUs()), trialsDone(dir) >= 2), 60_000)).toBe(true);
    } finally {
      await child;
    }
    expect(new Set(seen)).toEqual(new Set([unheld]));
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    expect(res.environment.idle?.requestUs).toBeNull();
    expect(res.environment.idle?.note).toMatch(/--deep-idle/);
  });
});
