/**
 * What a run says while it works. On a terminal: one line rewritten in place. Elsewhere
 * (a CI log): a plain line when a phase starts (builds, the quiet check, warm-up, each
 * tracing and measuring block, teardown) and at least once a minute, with the elapsed
 * time, the comparisons still undecided and the time left. `--quiet`: nothing.
 */
import type { Progress, ProgressEvent } from '../run/context.js';
import type { RunConfig } from '../run/config.js';
import { fmtDuration } from '../util/format.js';
import type { IO } from './io.js';

/** A plain line at least this often while trials run, when nothing else was said. */
export const PLAIN_EVERY_MS = 60_000;

/** The phase an event belongs to; a block once seen traced stays a tracing block (its untraced and traced trials alternate by group). */
function phaseOf(e: ProgressEvent, tracing: Set<number>): string {
  const t = e.trial;
  if (!t) return e.message ?? '';
  if (t.traced) tracing.add(t.block);
  return t.warmup ? 'warm-up' : tracing.has(t.block) ? `tracing block ${t.block + 1}` : `block ${t.block + 1}`;
}

function ttyLine(e: ProgressEvent, cfg: RunConfig): string {
  const t = e.trial;
  if (!t) return e.message ?? '';
  const phase = t.warmup ? 'warm-up' : t.traced ? 'traced' : `block ${t.block + 1}${cfg.budgetS === null ? `/${cfg.trials}` : ''}`;
  const what = `${t.topology} ${t.workload} ${t.path} ${phase}`;
  return cfg.budgetS !== null ? `[${e.done + 1}] ${what} · ${e.message ?? ''}; at most ${fmtDuration(e.etaS)} left` : `[${e.done + 1}/${e.total}] ${what}, about ${fmtDuration(e.etaS)} left`;
}

export function progressPrinter(io: IO, cfg: RunConfig, opts: { readonly quiet?: boolean; readonly now?: () => number } = {}): Progress {
  if (opts.quiet) return () => {};
  if (io.isTTY) return (e) => io.err(`\r\x1b[2K${ttyLine(e, cfg)}`);
  const now = opts.now ?? (() => performance.now());
  const started = now();
  let lastPhase = '';
  let lastAt = -Infinity;
  const tracing = new Set<number>();
  return (e) => {
    const phase = phaseOf(e, tracing);
    const at = now();
    if (phase === lastPhase && at - lastAt < PLAIN_EVERY_MS) return;
    lastPhase = phase;
    lastAt = at;
    const t = e.trial;
    const detail = !t ? '' : cfg.budgetS !== null ? `: ${e.message ?? ''}; at most ${fmtDuration(e.etaS)} of the budget left` : `: trial ${e.done + 1} of ${e.total}, about ${fmtDuration(e.etaS)} left`;
    io.err(`[${fmtDuration((at - started) / 1000)}] ${phase}${detail}\n`);
  };
}
