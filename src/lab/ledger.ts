/**
 * The ledger: every object a run creates is appended here, fsynced, *before* it is
 * created. Teardown walks it in reverse. One file per (run tag, topology).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { writeFully } from '../util/files.js';
import type { BackgroundProcess } from '../exec/runner.js';
import { procfs } from './processes.js';

export type LedgerEntry =
  | { kind: 'run'; tag: string; topology: string; pid: number; command: string; createdAt: string }
  | { kind: 'dir'; path: string }
  | { kind: 'netns'; name: string; host?: string }
  | { kind: 'link'; netns: string; name: string }
  | { kind: 'ssh'; host: string; config?: string }
  | { kind: 'nic'; host?: string; netns: string; name: string; mtu: number; up: boolean }
  | { kind: 'nft-table'; netns: string; family: string; table: string }
  /** a clsact qdisc and the tc BPF filters on it (the ebpf topology's datapath): deleting it unloads the programs */
  | { kind: 'qdisc'; netns: string; dev: string }
  | { kind: 'process'; host?: string; netns?: string; label: string; pid: number; startTime: string }
  | { kind: 'ovs'; netns: string; dir: string }
  /** a CNI plugin's ADD, undone by its DEL with the same environment and configuration */
  | { kind: 'cni'; netns: string; plugin: string; containerNs: string; ifname: string; config: string; path: string }
  /** a dockerd of the run's own: its state directory, and what it made outside it that was not there before */
  | { kind: 'docker'; netns: string; dir: string; cgroupParent: string; created: string[] }
  | { kind: 'status'; status: 'up' | 'tearing-down' }
  /** where a run writes its results: undone by marking them killed when the run never finished */
  | { kind: 'results'; runId: string; path: string };

/** The `topology` of a run's own ledger (`<tag>-run`): where its results are, so that a killed run can be marked */
export const RUN_LEDGER = 'run';

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

  /** Read a ledger; lines that are not ledger entries are skipped (and counted in `skipped`). */
  static open(path: string): Ledger {
    const parsed = readLedger(readFileSync(path, 'utf8'));
    const ledger = new Ledger(path, parsed.entries);
    ledger.skipped = parsed.skipped;
    return ledger;
  }

  /** Every readable ledger in `dir`; what cannot be read is reported to `onSkip`, never thrown. */
  static list(dir: string, onSkip: (path: string, why: string) => void = () => {}): Ledger[] {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const out: Ledger[] = [];
    for (const n of names.filter((x) => x.endsWith('.jsonl')).sort()) {
      const path = join(dir, n);
      try {
        if (!statSync(path).isFile()) {
          onSkip(path, 'not a regular file');
          continue;
        }
        const l = Ledger.open(path);
        if (l.skipped > 0) onSkip(path, `${l.skipped} line(s) are not ledger entries and were skipped`);
        out.push(l);
      } catch (err) {
        onSkip(path, errorMessage(err));
      }
    }
    return out;
  }

  /** lines of the file that were not ledger entries */
  skipped = 0;

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
      writeFully(fd, `${JSON.stringify(entry)}\n`);
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

const str = (o: Record<string, unknown>, k: string) => typeof o[k] === 'string';
const int = (o: Record<string, unknown>, k: string) => Number.isInteger(o[k]);
const optStr = (o: Record<string, unknown>, k: string) => o[k] === undefined || str(o, k);

/** The ledger entry for a process a runner started, here or on the peer machine. */
export function processEntry(proc: BackgroundProcess, label: string, netns?: string): Extract<LedgerEntry, { kind: 'process' }> {
  return {
    kind: 'process',
    ...(proc.host !== undefined ? { host: proc.host } : {}),
    ...(netns !== undefined ? { netns } : {}),
    label,
    pid: proc.pid,
    startTime: proc.startTime ?? procfs.startTime(proc.pid) ?? '',
  };
}

/** Whether a parsed line is a ledger entry of a known kind with the fields teardown relies on. */
export function isLedgerEntry(x: unknown): x is LedgerEntry {
  if (typeof x !== 'object' || x === null || !('kind' in x)) return false;
  const o: Record<string, unknown> = { ...x };
  switch (o['kind']) {
    case 'run':
      return str(o, 'tag') && str(o, 'topology') && int(o, 'pid') && str(o, 'command') && str(o, 'createdAt');
    case 'dir':
      return str(o, 'path');
    case 'netns':
      return str(o, 'name') && optStr(o, 'host');
    case 'ssh':
      return str(o, 'host') && optStr(o, 'config');
    case 'nic':
      return optStr(o, 'host') && str(o, 'netns') && str(o, 'name') && int(o, 'mtu') && typeof o['up'] === 'boolean';
    case 'link':
      return str(o, 'netns') && str(o, 'name');
    case 'nft-table':
      return str(o, 'netns') && str(o, 'family') && str(o, 'table');
    case 'qdisc':
      return str(o, 'netns') && str(o, 'dev');
    case 'process':
      return optStr(o, 'host') && optStr(o, 'netns') && str(o, 'label') && int(o, 'pid') && str(o, 'startTime');
    case 'ovs':
      return str(o, 'netns') && str(o, 'dir');
    case 'cni':
      return str(o, 'netns') && str(o, 'plugin') && str(o, 'containerNs') && str(o, 'ifname') && str(o, 'config') && str(o, 'path');
    case 'docker':
      return str(o, 'netns') && str(o, 'dir') && str(o, 'cgroupParent') && Array.isArray(o['created']) && o['created'].every((c) => typeof c === 'string');
    case 'status':
      return o['status'] === 'up' || o['status'] === 'tearing-down';
    case 'results':
      return str(o, 'runId') && str(o, 'path');
    default:
      return false;
  }
}

/** Parse a ledger file: its entries, and how many lines were not entries (a torn last line after a crash, or damage). */
export function readLedger(text: string): { entries: LedgerEntry[]; skipped: number } {
  const entries: LedgerEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let x: unknown;
    try {
      x = JSON.parse(line);
    } catch {
      x = undefined;
    }
    if (isLedgerEntry(x)) entries.push(x);
    else skipped++;
  }
  return { entries, skipped };
}

/** The entries of a ledger file (see readLedger). */
export function parseLedger(text: string): LedgerEntry[] {
  return readLedger(text).entries;
}
