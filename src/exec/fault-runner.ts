/**
 * Wraps a runner to inject faults, for tests that prove rollback and signal handling:
 *   NETBENCH_INJECT_FAULT=<n>[:<substring>]             fail the nth command whose argv contains substring
 *   NETBENCH_INJECT_FAULT=pause=<ms>@<n>[:<substring>]  hold the nth such command back for ms first
 * (a pause keeps a build mid-way, so that a signal surely lands during it).
 */
import type { BackgroundProcess, CommandResult, CommandSpec, Runner } from './runner.js';
import { toArgv } from './runner.js';
import { usageError } from '../errors.js';
import { delay } from '../util/delay.js';

export interface FaultPlan {
  readonly nth: number;
  readonly match: string;
  /** hold the command back this long instead of failing it */
  readonly pauseMs?: number;
}

export function parseFaultPlan(text: string | undefined): FaultPlan | undefined {
  if (text === undefined || text === '') return undefined;
  const m = /^(?:pause=(\d+)@)?(\d+)(?::(.*))?$/.exec(text);
  if (!m) throw usageError(`NETBENCH_INJECT_FAULT must look like <n>, <n>:<substring> or pause=<ms>@<n>[:<substring>], got '${text}'`);
  return { nth: Number(m[2]), match: m[3] ?? '', ...(m[1] !== undefined ? { pauseMs: Number(m[1]) } : {}) };
}

export class FaultInjectingRunner implements Runner {
  private seen = 0;
  constructor(
    private readonly inner: Runner,
    private readonly plan: FaultPlan,
  ) {}

  async run(spec: CommandSpec): Promise<CommandResult> {
    const argv = toArgv(spec);
    if (argv.join(' ').includes(this.plan.match)) {
      this.seen += 1;
      if (this.seen === this.plan.nth) {
        if (this.plan.pauseMs !== undefined) await delay(this.plan.pauseMs);
        else return { argv, exitCode: 1, signal: null, stdout: '', stderr: 'injected fault (NETBENCH_INJECT_FAULT)', timedOut: false, durationMs: 0 };
      }
    }
    return this.inner.run(spec);
  }

  start(spec: CommandSpec): Promise<BackgroundProcess> {
    return this.inner.start(spec);
  }
}
