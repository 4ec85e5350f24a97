/**
 * The run directory: results.json (written atomically after every trial: temp file,
 * fsync, rename), raw/ with every tool's stdout, and run.log.
 */
import { appendFileSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError, errnoCode, errorMessage } from '../errors.js';
import { ensureDir, writeDurably, writeFileAtomic } from '../util/files.js';
import type { Results } from './types.js';

export interface FileOps {
  /** write every byte of data, fsync, close; throw otherwise */
  writeFile(path: string, data: string): void;
  rename(from: string, to: string): void;
}

/** What a run directory holds (bench run and bench report write these, nothing else). */
export const RUN_FILES = ['results.json', 'results.json.tmp', 'raw', 'run.log', 'report.html', 'report.md', 'svg'] as const;

export const realFileOps: FileOps = { writeFile: (p, d) => writeDurably(p, d), rename: renameSync };

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

  /** Create the run directory; `replace` first removes an earlier run's files from it. */
  init(replace = false): void {
    if (replace) for (const f of RUN_FILES) rmSync(join(this.dir, f), { recursive: true, force: true });
    ensureDir(this.rawDir, 'run directory');
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

  /**
   * A run that died without finishing left its results.json saying "running": say
   * "killed", when its process last wrote, and who cleaned up after it, atomically.
   * Anything else (a finished run, a file that is not results) is left as it is.
   */
  static markKilled(resultsPath: string, cleaner: string, now = new Date()): 'marked' | 'finished' | 'missing' {
    let data: unknown;
    let lastWrite: Date;
    try {
      lastWrite = statSync(resultsPath).mtime;
      data = JSON.parse(readFileSync(resultsPath, 'utf8'));
    } catch {
      return 'missing';
    }
    if (typeof data !== 'object' || data === null || !('status' in data) || data.status !== 'running') return 'finished';
    const reason = `killed: the run's process ended without finishing (last results written ${lastWrite.toISOString()}); found and cleaned up by ${cleaner} at ${now.toISOString()}; the trials recorded before are kept`;
    writeFileAtomic(resultsPath, `${JSON.stringify({ ...data, status: 'killed', statusReason: reason, endedAt: lastWrite.toISOString() }, null, 2)}\n`, 'results file');
    return 'marked';
  }

  log(line: string): void {
    appendFileSync(this.logPath, `${new Date().toISOString()} ${line}\n`);
  }
}
