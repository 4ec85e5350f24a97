/**
 * Writing files so that nothing is lost and nothing hangs: every byte written or a clear
 * error, atomic replacement, and directories created one level at a time (Node's
 * recursive mkdir can spin forever under pseudo file systems such as /proc).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NetbenchError, errnoCode, errorMessage } from '../errors.js';

/** The write primitive, replaceable in tests (to inject short writes). */
export type WriteFn = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
const defaultWrite: WriteFn = (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length);

/** Write all of `data` to `fd`, looping over short writes; a write that makes no progress is an error. */
export function writeFully(fd: number, data: string | Uint8Array, write: WriteFn = defaultWrite): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) {
    const n = write(fd, buf, off, buf.length - off);
    if (!(n > 0)) throw new NetbenchError('IO', `short write: ${off} of ${buf.length} bytes written, then none (disk full?)`);
    off += n;
  }
}

/** Write, fsync and close: a full disk shows up here, not later. */
export function writeDurably(path: string, data: string | Uint8Array, write: WriteFn = defaultWrite, mode = 0o644): void {
  const fd = openSync(path, 'w', mode);
  try {
    writeFully(fd, data, write);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Create `dir` and any missing parents, one level at a time; a clear IO error if that cannot be done. */
export function ensureDir(dir: string, what = 'directory', mode = 0o755): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new NetbenchError('IO', `cannot create ${what} ${dir}: ${at} is not a directory`);
  for (const d of missing) {
    try {
      mkdirSync(d, { mode });
    } catch (err) {
      if (errnoCode(err) === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new NetbenchError('IO', `cannot create ${what} ${dir}: ${errnoCode(err) ?? errorMessage(err)}`, { cause: err });
    }
  }
}

/** Replace `path` atomically (temp file, fsync, rename); the old file stays intact on failure. */
export function writeFileAtomic(path: string, data: string | Uint8Array, what = 'file', write: WriteFn = defaultWrite): void {
  ensureDir(dirname(path), `directory for the ${what}`);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeDurably(tmp, data, write);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new NetbenchError('IO', `cannot write ${what} ${path}: ${errnoCode(err) ?? errorMessage(err)}`, { cause: err });
  }
}

/** Fail now, before long work, if `path` could not be written later. */
export function checkWritable(path: string, what: string): void {
  const dir = dirname(resolve(path));
  ensureDir(dir, `directory for the ${what}`);
  const probe = `${path}.probe-${process.pid}`;
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    throw new NetbenchError('IO', `cannot write ${what} ${path}: ${errnoCode(err) ?? errorMessage(err)}`, { cause: err });
  } finally {
    rmSync(probe, { force: true });
  }
}
