import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync } from 'node:fs';
import { acquireLock, claimRunTag, runTagLive } from '../../src/lab/lock.js';
import { lockNameFor, stateDirs } from '../../src/lab/state.js';
import { tempState } from '../support/fakes.js';

let cleanup = () => {};
afterEach(() => cleanup());

describe('the run lock', () => {
  it('lets one holder in and tells the second who holds it', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const name = `netbench-test-${process.pid}-${Date.now()}`;
    const first = await acquireLock({ name, infoPath: t.state.lockInfo, command: 'bench run --topology all', waitMs: 0 });
    await expect(acquireLock({ name, infoPath: t.state.lockInfo, command: 'second', waitMs: 0 })).rejects.toThrow(
      new RegExp(`pid ${process.pid} \\(bench run --topology all\\)`),
    );
    await first.release();
    const again = await acquireLock({ name, infoPath: t.state.lockInfo, command: 'third', waitMs: 0 });
    await again.release();
  });

  it('waits for the holder, announcing it once', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const name = `netbench-test-wait-${process.pid}-${Date.now()}`;
    const first = await acquireLock({ name, infoPath: t.state.lockInfo, command: 'first', waitMs: 0 });
    const waits: unknown[] = [];
    setTimeout(() => void first.release(), 300);
    const second = await acquireLock({ name, infoPath: t.state.lockInfo, command: 'second', waitMs: 5000, onWait: (h) => waits.push(h) });
    expect(waits).toHaveLength(1);
    await second.release();
  });

  it('is freed by the kernel when the holder is SIGKILLed', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const name = `netbench-test-kill-${process.pid}-${Date.now()}`;
    const script = `const s=require('net').createServer();s.listen({path:'\\0${name}'},()=>console.log('held'));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await expect(acquireLock({ name, infoPath: join(t.state.root, 'x.json'), command: 'second', waitMs: 0 })).rejects.toThrow(/holds the netbench lock/);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const lock = await acquireLock({ name, infoPath: join(t.state.root, 'x.json'), command: 'after', waitMs: 1000 });
    await lock.release();
  });

  it('is keyed on the state directory itself: two spellings of one directory share one lock', () => {
    const t = tempState();
    cleanup = t.cleanup;
    const real = join(t.state.root, 'state');
    mkdirSync(real);
    symlinkSync(real, join(t.state.root, 'link'));
    const a = lockNameFor(stateDirs(real));
    expect(lockNameFor(stateDirs(`${real}/`))).toBe(a);
    expect(lockNameFor(stateDirs(join(t.state.root, 'state', '..', 'state')))).toBe(a);
    expect(lockNameFor(stateDirs(join(t.state.root, 'link')))).toBe(a);
    expect(lockNameFor(stateDirs(join(t.state.root, 'other')))).not.toBe(a);
  });

  it('stops waiting at once when aborted (Ctrl-C during the wait)', async () => {
    const t = tempState();
    cleanup = t.cleanup;
    const name = `netbench-test-abort-${process.pid}-${Date.now()}`;
    const first = await acquireLock({ name, infoPath: t.state.lockInfo, command: 'first', waitMs: 0 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const t0 = Date.now();
    await expect(acquireLock({ name, infoPath: t.state.lockInfo, command: 'second', waitMs: 300_000, signal: abort.signal })).rejects.toThrow(/interrupted while waiting for the netbench lock/);
    expect(Date.now() - t0).toBeLessThan(2000);
    await first.release();
  });
});

describe('live run tags', () => {
  it('a claimed tag is live, in this process and from another; an unclaimed one is not', async () => {
    const tag = `t${String(Date.now()).slice(-3)}`;
    expect(await runTagLive(tag)).toBe(false);
    await claimRunTag(tag);
    expect(await runTagLive(tag)).toBe(true);
    const script = `const s=require('net').createServer();s.listen({path:'\\0netbench-run-${tag}x'},()=>console.log('held'));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(await runTagLive(`${tag}x`)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await runTagLive(`${tag}x`)).toBe(false);
  });
});
