/**
 * The ledger: every object a run creates is appended here, fsynced, *before* it is
 * created. Teardown walks it in reverse. One file per (run tag, topology).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type LedgerEntry =
  | { kind: 'run'; tag: string; topology: string; pid: number; command: string; createdAt: string }
  | { kind: 'dir'; path: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; netns: string; name: string }
  | { kind: 'nft-table'; netns: string; family: string; table: string }
  | { kind: 'process'; netns?: string; label: string; pid: number; startTime: string }
  | { kind: 'ovs'; netns: string; dir: string }
  | { kind: 'status'; status: 'up' | 'tearing-down' };

export type LedgerKind = LedgerEntry['kind'];

export class Ledger {
  private constructor(
    readonly path: string,
    private entriesCache: LedgerEntry[],
  ) {}

  static create(dir: string, id: string, header: Omit<Extract<LedgerEntry, { kind: 'run' }>, 'kind'>): Ledger {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ledger = new Ledger(join(dir, `${id}.jsonl`), []);
    ledger.append({ kind: 'run', ...header });
    return ledger;
  }

  static open(path: string): Ledger {
    return new Ledger(path, parseLedger(readFileSync(path, 'utf8')));
  }

  static list(dir: string): Ledger[] {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .map((n) => Ledger.open(join(dir, n)));
  }

  get entries(): readonly LedgerEntry[] {
    return this.entriesCache;
  }

  get header(): Extract<LedgerEntry, { kind: 'run' }> | undefined {
    const first = this.entriesCache[0];
    return first?.kind === 'run' ? first : undefined;
  }

  get status(): 'building' | 'up' | 'tearing-down' {
    let s: 'building' | 'up' | 'tearing-down' = 'building';
    for (const e of this.entriesCache) if (e.kind === 'status') s = e.status;
    return s;
  }

  /** Append and fsync: the entry is on disk before the caller creates the object. */
  append(entry: LedgerEntry): void {
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.entriesCache.push(entry);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

/** Parse a ledger file; a torn last line (crash mid-write) is ignored. */
export function parseLedger(text: string): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as LedgerEntry);
    } catch {
      // a line cut short by a crash: everything before it is intact
    }
  }
  return out;
}
