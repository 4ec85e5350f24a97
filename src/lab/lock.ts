/**
 * One run at a time. The lock is an abstract Unix socket: the kernel frees it the
 * moment the holder dies, even by SIGKILL, so a stale lock cannot exist. Who holds it
 * is written beside it for the message a second run prints.
 */
import { createServer, type Server } from 'node:net';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NetbenchError } from '../errors.js';
import { delay } from '../util/delay.js';
import { ensureDir } from '../util/files.js';

export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

export interface Lock {
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** the abstract socket's name: lockNameFor(state) */
  readonly name: string;
  readonly infoPath: string;
  readonly command: string;
  /** give up after this long; 0 fails at once */
  readonly waitMs: number;
  readonly onWait?: (holder: LockHolder | undefined) => void;
  /** aborting (Ctrl-C, SIGTERM, SIGHUP) stops the wait at once */
  readonly signal?: AbortSignal;
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
    // anything but an object (a number, null, a string) has none of the three fields
    const o: Record<string, unknown> = { ...(JSON.parse(readFileSync(infoPath, 'utf8')) as object) };
    const { pid, command, since } = o;
    return typeof pid === 'number' && typeof command === 'string' && typeof since === 'string' ? { pid, command, since } : undefined;
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockHolder | undefined): string {
  return h ? `pid ${h.pid} (${h.command}) since ${h.since}` : 'another netbench process';
}

export async function acquireLock(opts: AcquireOptions): Promise<Lock> {
  const name = opts.name;
  const deadline = Date.now() + opts.waitMs;
  let announced = false;
  for (;;) {
    if (opts.signal?.aborted) throw new NetbenchError('INTERRUPTED', 'interrupted while waiting for the netbench lock');
    const server = await tryListen(name);
    if (server) {
      const holder: LockHolder = { pid: process.pid, command: opts.command, since: new Date().toISOString() };
      try {
        ensureDir(dirname(opts.infoPath), 'state directory', 0o700);
        writeFileSync(opts.infoPath, JSON.stringify(holder));
      } catch {
        // who holds the lock is only for a waiting run's message; the lock itself is the socket
      }
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

const claimed = new Map<string, Server>();

/**
 * Mark a run tag as live for as long as this process lives: `bench clean` leaves alone
 * the namespaces and scratch directories of a live run, even one that keeps its state
 * in another directory. The kernel drops the claim when the process dies.
 */
export async function claimRunTag(tag: string): Promise<void> {
  if (claimed.has(tag)) return;
  const server = await tryListen(`netbench-run-${tag}`);
  if (!server) throw new NetbenchError('LOCKED', `run tag ${tag} is already in use by a live netbench process`);
  claimed.set(tag, server);
}

/** Whether a live process holds run tag `tag` (this process's own claims count too: the kernel refuses the name to it as well). */
export async function runTagLive(tag: string): Promise<boolean> {
  const server = await tryListen(`netbench-run-${tag}`);
  if (!server) return true;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return false;
}
