/**
 * One run at a time. The lock is an abstract Unix socket: the kernel frees it the
 * moment the holder dies, even by SIGKILL, so a stale lock cannot exist. Who holds it
 * is written beside it for the message a second run prints.
 */
import { createServer, type Server } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NetbenchError } from '../errors.js';
import { delay } from '../util/delay.js';

export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

export interface Lock {
  release(): Promise<void>;
}

export interface AcquireOptions {
  readonly name?: string;
  readonly infoPath: string;
  readonly command: string;
  /** give up after this long; 0 fails at once */
  readonly waitMs: number;
  readonly onWait?: (holder: LockHolder | undefined) => void;
}

function tryListen(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(err);
    });
    server.listen({ path: `\0${name}` }, () => {
      server.unref();
      resolve(server);
    });
  });
}

export function readHolder(infoPath: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(infoPath, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockHolder | undefined): string {
  return h ? `pid ${h.pid} (${h.command}) since ${h.since}` : 'another netbench process';
}

export async function acquireLock(opts: AcquireOptions): Promise<Lock> {
  const name = opts.name ?? `netbench-lock-${process.env['NETBENCH_STATE_DIR'] ?? 'default'}`;
  const deadline = Date.now() + opts.waitMs;
  let announced = false;
  for (;;) {
    const server = await tryListen(name);
    if (server) {
      mkdirSync(dirname(opts.infoPath), { recursive: true });
      const holder: LockHolder = { pid: process.pid, command: opts.command, since: new Date().toISOString() };
      writeFileSync(opts.infoPath, JSON.stringify(holder));
      return {
        release: () =>
          new Promise<void>((resolve) => {
            const current = readHolder(opts.infoPath);
            if (current?.pid === process.pid) rmSync(opts.infoPath, { force: true });
            server.close(() => resolve());
          }),
      };
    }
    const holder = readHolder(opts.infoPath);
    if (Date.now() >= deadline) {
      throw new NetbenchError('LOCKED', `another run holds the netbench lock: ${describeHolder(holder)}`, {
        details: { holder },
      });
    }
    if (!announced) {
      opts.onWait?.(holder);
      announced = true;
    }
    await delay(200);
  }
}
