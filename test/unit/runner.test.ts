import { describe, expect, it, vi } from 'vitest';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { FaultInjectingRunner, parseFaultPlan } from '../../src/exec/fault-runner.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { describeFailure, ensureOk, formatArgv, succeeded, toArgv } from '../../src/exec/runner.js';

describe('command construction', () => {
  it('wraps namespace and CPU pinning around the program, never a shell', () => {
    expect(toArgv({ program: 'iperf3', args: ['-s', '-1'], netns: 'nb-abcd-x-peer', cpu: 1 })).toEqual([
      'ip', 'netns', 'exec', 'nb-abcd-x-peer', 'taskset', '-c', '1', 'iperf3', '-s', '-1',
    ]);
    expect(toArgv({ program: 'ip', args: ['link'] })).toEqual(['ip', 'link']);
  });
  it('quotes for display only', () => {
    expect(formatArgv(['nft', 'add', 'chain', 'x', '{ type nat; }'])).toBe("nft add chain x '{ type nat; }'");
  });
});

describe('ExecaRunner', () => {
  const runner = new ExecaRunner({ graceMs: 200 });
  it('returns stdout and exit codes without throwing', async () => {
    const ok = await runner.run({ program: 'sh', args: ['-c', 'echo hi; echo err >&2'] });
    expect(ok.stdout).toBe('hi\n');
    expect(ok.stderr).toBe('err\n');
    expect(succeeded(ok)).toBe(true);
    const bad = await runner.run({ program: 'sh', args: ['-c', 'echo nope >&2; exit 3'] });
    expect(bad.exitCode).toBe(3);
    expect(() => ensureOk(bad)).toThrow(/exit 3: nope/);
  });
  it('reports a missing program as a spawn error', async () => {
    const r = await runner.run({ program: 'netbench-no-such-program', args: [] });
    expect(r.spawnError).toBe('program not found');
    expect(describeFailure(r)).toContain('program not found');
  });
  it('times out with SIGINT first and marks the result', async () => {
    const r = await runner.run({ program: 'sleep', args: ['5'], timeoutMs: 100 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGINT');
    expect(r.durationMs).toBeLessThan(3000);
  });
  it('escalates to SIGKILL for a program that ignores SIGINT and SIGTERM', async () => {
    const r = await runner.run({ program: 'sh', args: ['-c', "trap '' INT TERM; while :; do sleep 0.05; done"], timeoutMs: 100 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
  });
  it('stops a background process', async () => {
    const p = await runner.start({ program: 'sleep', args: ['30'] });
    expect(p.pid).toBeGreaterThan(0);
    const r = await p.stop(200);
    expect(r.signal).toBe('SIGINT');
  });
  it("does not wait for a grandchild that holds the pipes once the child is gone (a shell's sleep)", async () => {
    const p = await runner.start({ program: 'sh', args: ['-c', 'echo up; while :; do sleep 5; done'] });
    while (!p.output().includes('up')) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    const r = await p.stop(200);
    expect(['SIGINT', 'SIGTERM']).toContain(r.signal);
    expect(r.stdout).toBe('up\n');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
  it('kills running children when aborted', async () => {
    const ac = new AbortController();
    const r2 = new ExecaRunner({ signal: ac.signal, graceMs: 200 });
    const pending = r2.run({ program: 'sleep', args: ['10'] });
    setTimeout(() => ac.abort(), 50);
    const r = await pending;
    expect(r.signal).toBe('SIGINT');
  });
});

describe('fault injection', () => {
  it('fails the nth matching command only', async () => {
    const inner = new RecordingRunner();
    const f = new FaultInjectingRunner(inner, parseFaultPlan('2:link add')!);
    expect(succeeded(await f.run({ program: 'ip', args: ['link', 'add', 'a'] }))).toBe(true);
    expect(succeeded(await f.run({ program: 'ip', args: ['addr', 'add'] }))).toBe(true);
    const failed = await f.run({ program: 'ip', args: ['link', 'add', 'b'] });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('injected fault');
    expect(inner.calls).toHaveLength(2);
  });
  it('rejects a malformed plan', () => {
    expect(() => parseFaultPlan('x')).toThrow(/NETBENCH_INJECT_FAULT/);
    expect(parseFaultPlan(undefined)).toBeUndefined();
  });
});

describe('settlesWithin', () => {
  it('says whether a promise settles in time, and leaves no timer behind when it does', async () => {
    const { settlesWithin } = await import('../../src/util/delay.js');
    vi.useFakeTimers();
    try {
      const quick = settlesWithin(Promise.resolve(), 15_000);
      await vi.advanceTimersByTimeAsync(0);
      expect(await quick).toBe(true);
      // a 15 s grace timer still pending here kept every traced run's process alive 13 s after it finished
      expect(vi.getTimerCount()).toBe(0);
      const slow = settlesWithin(new Promise(() => {}), 1000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await slow).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
