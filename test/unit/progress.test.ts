/** What a run says while it works: a line in place on a terminal, plain lines per phase and minute in a CI log, nothing with --quiet. */
import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../src/cli/progress.js';
import { resolveRunConfig } from '../../src/run/config.js';
import type { ProgressEvent } from '../../src/run/context.js';

const cfg = resolveRunConfig({ topology: 'host,bridge', workload: 'tcp-rr', path: 'c1-peer', budget: '3m', out: '/nonexistent/nb-progress-test' });
const io = (isTTY: boolean) => {
  const lines: string[] = [];
  return { lines, io: { out: () => {}, err: (t: string) => lines.push(t), isTTY } };
};
const trial = (block: number, extra: Partial<NonNullable<ProgressEvent['trial']>> = {}): ProgressEvent => ({
  done: block * 2,
  total: 60,
  etaS: 150 - block * 10,
  message: `${Math.min(4, 4 - block)} of 4 comparisons undecided`,
  trial: { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer', block, warmup: false, traced: false, ...extra },
});

describe('progress', () => {
  it('in a CI log: a plain line when a phase starts and once a minute within one, with elapsed time, undecided comparisons and budget left', () => {
    const { lines, io: out } = io(false);
    let clock = 0;
    const p = progressPrinter(out, cfg, { now: () => clock });
    p({ done: 0, total: 0, etaS: 0, message: 'building host' });
    clock = 1500;
    p({ done: 0, total: 0, etaS: 0, message: 'building bridge' });
    clock = 4000;
    p(trial(-1, { warmup: true }));
    p(trial(-1, { warmup: true }));
    clock = 9000;
    p(trial(0, { traced: true }));
    clock = 20_000;
    p(trial(1));
    clock = 50_000;
    p(trial(1));
    clock = 81_000;
    p(trial(1));
    clock = 95_000;
    p({ done: 60, total: 60, etaS: 0, message: 'tearing down' });
    expect(lines).toEqual([
      '[0s] building host\n',
      '[2s] building bridge\n',
      '[4s] warm-up: 4 of 4 comparisons undecided; at most 2m40s of the budget left\n',
      '[9s] tracing block 1: 4 of 4 comparisons undecided; at most 2m30s of the budget left\n',
      '[20s] block 2: 3 of 4 comparisons undecided; at most 2m20s of the budget left\n',
      '[1m21s] block 2: 3 of 4 comparisons undecided; at most 2m20s of the budget left\n',
      '[1m35s] tearing down\n',
    ]);
    expect(lines.every((l) => !l.includes('\r'))).toBe(true);
  });

  it('on a terminal: one line rewritten in place for every event', () => {
    const { lines, io: out } = io(true);
    const p = progressPrinter(out, cfg);
    p(trial(2));
    p(trial(2));
    expect(lines).toEqual(['\r\x1b[2K[5] bridge tcp-rr c1-peer block 3 · 2 of 4 comparisons undecided; at most 2m10s left', '\r\x1b[2K[5] bridge tcp-rr c1-peer block 3 · 2 of 4 comparisons undecided; at most 2m10s left']);
  });

  it('--quiet says nothing, terminal or not', () => {
    for (const tty of [true, false]) {
      const { lines, io: out } = io(tty);
      const p = progressPrinter(out, cfg, { quiet: true });
      p(trial(0));
      p({ done: 0, total: 0, etaS: 0, message: 'tearing down' });
      expect(lines).toEqual([]);
    }
  });
});
