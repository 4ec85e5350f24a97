/**
 * The run directory: results.json (written atomically after every trial: temp file,
 * fsync, rename), raw/ with every tool's stdout, and run.log.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError, errnoCode, errorMessage } from '../errors.js';
import type { Results } from './types.js';

export interface FileOps {
  writeFile(path: string, data: string): void;
  rename(from: string, to: string): void;
}

/** Write, fsync and close: a full disk shows up here, not later. */
function writeDurably(path: string, data: string): void {
  const fd = openSync(path, 'w', 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export const realFileOps: FileOps = { writeFile: writeDurably, rename: renameSync };

export class RunStore {
  readonly resultsPath: string;
  readonly rawDir: string;
  readonly logPath: string;

  constructor(
    readonly dir: string,
    private readonly ops: FileOps = realFileOps,
  ) {
    this.resultsPath = join(dir, 'results.json');
    this.rawDir = join(dir, 'raw');
    this.logPath = join(dir, 'run.log');
  }

  init(): void {
    mkdirSync(this.rawDir, { recursive: true });
  }

  /** Atomic replace; on failure the previous results.json is left as it was. */
  writeResults(results: Results): void {
    const tmp = `${this.resultsPath}.tmp`;
    try {
      this.ops.writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
      this.ops.rename(tmp, this.resultsPath);
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
      throw new NetbenchError('IO', `could not write ${this.resultsPath} (${errnoCode(err) ?? errorMessage(err)}); the previous results.json is intact`, { cause: err });
    }
  }

  /** Save a tool's raw output; returns the path relative to the run dir. */
  writeRaw(name: string, text: string): string {
    const rel = join('raw', name);
    writeFileSync(join(this.dir, rel), text);
    return rel;
  }

  log(line: string): void {
    appendFileSync(this.logPath, `${new Date().toISOString()} ${line}\n`);
  }
}
