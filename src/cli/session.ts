/**
 * What every command that touches the lab shares: the runner (with fault injection for
 * tests), the state paths, the lock, and SIGINT/SIGTERM turned into an orderly teardown.
 */
import { NetbenchError } from '../errors.js';
import { ExecaRunner } from '../exec/execa-runner.js';
import { FaultInjectingRunner, parseFaultPlan } from '../exec/fault-runner.js';
import type { Runner } from '../exec/runner.js';
import { acquireLock, describeHolder } from '../lab/lock.js';
import { lockNameFor, type StateDirs, stateDirs } from '../lab/state.js';
import type { IO } from './io.js';

export interface SessionOptions {
  readonly lockWaitMs: number;
}

export class Session {
  readonly abort = new AbortController();
  readonly runner: Runner;
  readonly state: StateDirs;
  signal: NodeJS.Signals | undefined;
  private readonly handlers: [NodeJS.Signals, () => void][] = [];

  constructor(
    readonly io: IO,
    readonly options: SessionOptions,
    runner?: Runner,
  ) {
    this.state = stateDirs();
    const base = runner ?? new ExecaRunner({ signal: this.abort.signal });
    const plan = parseFaultPlan(process.env['NETBENCH_INJECT_FAULT']);
    this.runner = plan ? new FaultInjectingRunner(base, plan) : base;
  }

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  /** Ctrl-C, SIGTERM or SIGHUP (a closed terminal): stop what runs, let the command tear down, exit 128+n. */
  installSignalHandlers(): void {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const h = () => {
        if (this.signal === undefined) {
          this.signal = sig;
          this.io.err(`\nnetbench: ${sig} received, tearing down what this run built...\n`);
          this.abort.abort();
        } else {
          this.io.err(`netbench: still tearing down; 'bench clean' removes anything left if you kill this process\n`);
        }
      };
      process.on(sig, h);
      this.handlers.push([sig, h]);
    }
  }

  removeSignalHandlers(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
    this.handlers.length = 0;
  }

  throwIfAborted(): void {
    if (this.aborted) throw new NetbenchError('INTERRUPTED', `interrupted by ${this.signal ?? 'signal'}`);
  }

  async withLock<T>(command: string, fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock({
      name: lockNameFor(this.state),
      signal: this.abort.signal,
      infoPath: this.state.lockInfo,
      command,
      waitMs: this.options.lockWaitMs,
      onWait: (h) => this.io.err(`netbench: waiting for the lock held by ${describeHolder(h)}...\n`),
    });
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }
}

export function exitCodeForSignal(sig: NodeJS.Signals | undefined): number {
  return sig === 'SIGTERM' ? 143 : sig === 'SIGHUP' ? 129 : 130;
}
