/**
 * Processes a unit test starts for real (stand-ins for daemons and servers), killed when
 * the test ends, passed or failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

/** Start `program`; its stdout is a pipe (see firstLine), the rest ignored. */
export function ownChild(program: string, args: readonly string[]): ChildProcess {
  const c = spawn(program, [...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(c);
  return c;
}

/** The child's first line of output. */
export function firstLine(c: ChildProcess): Promise<string> {
  return new Promise((resolve) => c.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim())));
}

/** Whether the child has ended. */
export function ended(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}
