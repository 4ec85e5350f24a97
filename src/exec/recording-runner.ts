/**
 * A runner for tests: records every spec, answers from a handler, starts nothing.
 */
import type { BackgroundProcess, CommandResult, CommandSpec, Runner } from './runner.js';
import { toArgv } from './runner.js';

export type Reply = Partial<Omit<CommandResult, 'argv'>>;
export type Handler = (spec: CommandSpec, argv: string[]) => Reply | undefined;

export class RecordingRunner implements Runner {
  readonly calls: CommandSpec[] = [];
  private nextPid = 40_000;
  constructor(private readonly handler: Handler = () => undefined) {}

  async run(spec: CommandSpec): Promise<CommandResult> {
    this.calls.push(spec);
    const argv = toArgv(spec);
    const reply = this.handler(spec, argv) ?? {};
    return { argv, exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, durationMs: 0, ...reply };
  }

  async start(spec: CommandSpec): Promise<BackgroundProcess> {
    const result = await this.run(spec);
    return { pid: this.nextPid++, argv: result.argv, exited: Promise.resolve(result), stop: async () => result, output: () => result.stdout };
  }

  /** each recorded call as the argv that would have run, joined by spaces */
  get commandLines(): string[] {
    return this.calls.map((s) => toArgv(s).join(' '));
  }
}
