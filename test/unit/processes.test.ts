/**
 * Processes as the kernel shows them (/proc), with real processes of the test's own:
 * a pid is identified with its start time, a zombie counts as gone, a name may hold
 * spaces and parentheses, and a stop escalates only as far as it must and never touches
 * a process whose start time is not the one recorded (a recycled pid).
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { procfs, stopProcess } from '../../src/lab/processes.js';
import { firstLine, ownChild } from '../support/children.js';
import { waitFor } from '../support/poll.js';
import { scratchDir } from '../support/scratch.js';


describe('procfs', () => {
  it('reads a live process: its start time (a number, the same each time, not before ours), name and argv', async () => {
    const c = ownChild('sleep', ['30']);
    await waitFor(() => procfs.comm(c.pid!) === 'sleep', 2000);
    const st = procfs.startTime(c.pid!);
    expect(st).toMatch(/^\d+$/);
    expect(procfs.startTime(c.pid!)).toBe(st);
    expect(Number(st)).toBeGreaterThanOrEqual(Number(procfs.startTime(process.pid)));
    expect(procfs.cmdline(c.pid!)).toEqual(['sleep', '30']);
  });

  it('a name with spaces and parentheses does not shift the fields after it', async () => {
    const odd = join(scratchDir('procs'), 'a) b (c');
    copyFileSync('/bin/sleep', odd);
    const c = ownChild(odd, ['30']);
    await waitFor(() => procfs.comm(c.pid!) !== undefined && procfs.comm(c.pid!) !== 'node', 2000);
    expect(procfs.comm(c.pid!)).toBe('a) b (c');
    const after = ownChild('sleep', ['30']);
    await waitFor(() => procfs.startTime(after.pid!) !== undefined, 2000);
    const st = procfs.startTime(c.pid!);
    expect(st).toMatch(/^\d+$/);
    // started in this order, a few ms apart: the same field of both
    expect(Number(st)).toBeLessThanOrEqual(Number(procfs.startTime(after.pid!)));
    expect(Number(procfs.startTime(after.pid!)) - Number(st)).toBeLessThan(500);
  });

  it('a zombie is gone: no start time, though its name is still readable', async () => {
    // the backgrounded sleep's parent becomes the exec'd sleep 30, which never reaps it
    const c = ownChild('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30']);
    const zombie = Number(await firstLine(c));
    expect(await waitFor(() => procfs.startTime(zombie) === undefined, 3000)).toBe(true);
    expect(existsSync(`/proc/${zombie}`)).toBe(true);
    expect(procfs.comm(zombie)).toBe('sleep');
  });

  it('a pid that does not exist has nothing, and signalling it does not throw', () => {
    const gone = 2 ** 22 + 12345; // above pid_max's largest value
    expect(procfs.startTime(gone)).toBeUndefined();
    expect(procfs.comm(gone)).toBeUndefined();
    expect(procfs.cmdline(gone)).toBeUndefined();
    expect(() => procfs.kill(gone, 'SIGTERM')).not.toThrow();
  });
});

describe('stopProcess', () => {
  it('SIGINT is enough for a process that heeds it: gone well within its grace', async () => {
    const c = ownChild('sleep', ['30']);
    await waitFor(() => procfs.startTime(c.pid!) !== undefined, 2000);
    const exit = new Promise<NodeJS.Signals | null>((r) => c.once('exit', (_, sig) => r(sig)));
    const t0 = Date.now();
    expect(await stopProcess(c.pid!, procfs.startTime(c.pid!), procfs, 2000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await exit).toBe('SIGINT');
  });

  it('escalates to SIGKILL for one that ignores SIGINT and SIGTERM', async () => {
    const c = ownChild('sh', ['-c', "trap '' INT TERM; echo ready; while :; do sleep 0.02; done"]);
    await firstLine(c);
    const exit = new Promise<NodeJS.Signals | null>((r) => c.once('exit', (_, sig) => r(sig)));
    expect(await stopProcess(c.pid!, procfs.startTime(c.pid!), procfs, 100)).toBe(true);
    expect(await exit).toBe('SIGKILL');
  });

  it('leaves alone a process whose start time is not the one recorded (the pid was recycled)', async () => {
    const c = ownChild('sleep', ['30']);
    await waitFor(() => procfs.startTime(c.pid!) !== undefined, 2000);
    const other = String(Number(procfs.startTime(c.pid!)) - 1);
    expect(await stopProcess(c.pid!, other, procfs, 100)).toBe(true);
    expect(procfs.startTime(c.pid!)).toBeDefined();
    expect(c.exitCode).toBeNull();
    expect(c.signalCode).toBeNull();
  });
});
