/**
 * Wraps a runner and fails the Nth command whose argv matches a pattern. Used to prove
 * that a build failing half-way is rolled back (NETBENCH_INJECT_FAULT=<n>[:<substring>]).
 */
import type { BackgroundProcess, CommandResult, CommandSpec, Runner } from './runner.js';
import { toArgv } from './runner.js';
import { usageError } from '../errors.js';

export interface FaultPlan {
  readonly nth: number;
  readonly match: string;
}

export function parseFaultPlan(text: string | undefined): FaultPlan | undefined {
  if (text === undefined || text === '') return undefined;
  const m = /^(\d+)(?::(.*))?$/.exec(text);
  if (!m) throw usageError(`NETBENCH_INJECT_FAULT must look like <n> or <n>:<substring>, got '${text}'`);
  return { nth: Number(m[1]), match: m[2] ?? '' };
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
        return { argv, exitCode: 1, signal: null, stdout: '', stderr: 'injected fault (NETBENCH_INJECT_FAULT)', timedOut: false, durationMs: 0 };
      }
    }
    return this.inner.run(spec);
  }

  start(spec: CommandSpec): Promise<BackgroundProcess> {
    return this.inner.start(spec);
  }
}
