/**
 * What a ledger line must hold to be an entry. Teardown and `bench clean` act on entries
 * alone, so an entry that lacks a field they use (or has it of the wrong type) must be
 * skipped and counted, never half-read; and a run's ledger is read back as written.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLedgerEntry, Ledger, type LedgerEntry, processEntry, readLedger } from '../../src/lab/ledger.js';
import { scratchDir } from '../support/scratch.js';

/** One complete entry of every kind, with the fields each must have and those it may lack. */
const KINDS: { entry: LedgerEntry; required: string[]; optional: string[] }[] = [
  { entry: { kind: 'run', tag: 'ab12', topology: 'nat', pid: 42, command: 'bench run', createdAt: '2026-12-04T00:00:00Z' }, required: ['tag', 'topology', 'pid', 'command', 'createdAt'], optional: [] },
  { entry: { kind: 'dir', path: '/run/netbench/x' }, required: ['path'], optional: [] },
  { entry: { kind: 'netns', name: 'nb-ab12-nat-c1', host: 'peer' }, required: ['name'], optional: ['host'] },
  { entry: { kind: 'link', netns: 'nb-ab12-nat-c1', name: 'eth0' }, required: ['netns', 'name'], optional: [] },
  { entry: { kind: 'ssh', host: 'peer', config: '/tmp/ssh_config' }, required: ['host'], optional: ['config'] },
  { entry: { kind: 'nic', host: 'peer', netns: 'nb-ab12-h', name: 'ens5', mtu: 1500, up: true }, required: ['netns', 'name', 'mtu', 'up'], optional: ['host'] },
  { entry: { kind: 'nft-table', netns: 'nb-ab12-nat-hostA', family: 'ip', table: 'netbench' }, required: ['netns', 'family', 'table'], optional: [] },
  { entry: { kind: 'qdisc', netns: 'nb-ab12-ebpf-hostA', dev: 'ab120-up' }, required: ['netns', 'dev'], optional: [] },
  { entry: { kind: 'process', host: 'peer', netns: 'nb-ab12-nat-peer', label: 'iperf3', pid: 77, startTime: '1234' }, required: ['label', 'pid', 'startTime'], optional: ['host', 'netns'] },
  { entry: { kind: 'ovs', netns: 'nb-ab12-ovs-hostA', dir: '/run/netbench/ovs/ab12' }, required: ['netns', 'dir'], optional: [] },
  { entry: { kind: 'cni', netns: 'nb-ab12-cni-hostA', plugin: 'bridge', containerNs: 'nb-ab12-cni-c1', ifname: 'eth0', config: '{}', path: '/usr/lib/cni' }, required: ['netns', 'plugin', 'containerNs', 'ifname', 'config', 'path'], optional: [] },
  { entry: { kind: 'docker', netns: 'nb-ab12-docker-hostA', dir: '/run/netbench/docker/ab12', cgroupParent: 'netbench-ab12', created: ['/sys/fs/cgroup/netbench-ab12'] }, required: ['netns', 'dir', 'cgroupParent', 'created'], optional: [] },
  { entry: { kind: 'status', status: 'tearing-down' }, required: ['status'], optional: [] },
  { entry: { kind: 'results', runId: '20261204-000000-ab12', path: '/tmp/r/results.json' }, required: ['runId', 'path'], optional: [] },
];

/** A value of the wrong type for a field: a number where text belongs, text where a number or a flag does. */
function wrongType(v: unknown): unknown {
  if (typeof v === 'string') return 7;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return 'yes';
  return 'not a list';
}

const without = (e: LedgerEntry, k: string): Record<string, unknown> => Object.fromEntries(Object.entries(e).filter(([key]) => key !== k));

describe('a ledger entry', () => {
  it.each(KINDS.map((k) => [k.entry.kind, k] as const))('%s: complete is an entry; without any required field, or with one of the wrong type, it is not', (_, { entry, required, optional }) => {
    expect(isLedgerEntry(entry)).toBe(true);
    expect(isLedgerEntry(JSON.parse(JSON.stringify(entry)))).toBe(true);
    for (const k of required) {
      expect(isLedgerEntry(without(entry, k)), `without ${k}`).toBe(false);
      expect(isLedgerEntry({ ...entry, [k]: wrongType((entry as unknown as Record<string, unknown>)[k]) }), `${k} of the wrong type`).toBe(false);
    }
    for (const k of optional) {
      expect(isLedgerEntry(without(entry, k)), `without ${k}`).toBe(true);
      expect(isLedgerEntry({ ...entry, [k]: 7 }), `${k} of the wrong type`).toBe(false);
    }
  });

  it('numbers must be whole, a docker entry lists only paths, a status is up or tearing-down, and a kind must be known', () => {
    expect(isLedgerEntry({ kind: 'process', label: 'x', pid: 1.5, startTime: '1' })).toBe(false);
    expect(isLedgerEntry({ kind: 'nic', netns: 'n', name: 'e', mtu: 1500.5, up: true })).toBe(false);
    expect(isLedgerEntry({ kind: 'docker', netns: 'n', dir: 'd', cgroupParent: 'c', created: [] })).toBe(true);
    expect(isLedgerEntry({ kind: 'docker', netns: 'n', dir: 'd', cgroupParent: 'c', created: ['/a', 3] })).toBe(false);
    expect(isLedgerEntry({ kind: 'status', status: 'up' })).toBe(true);
    expect(isLedgerEntry({ kind: 'status', status: 'building' })).toBe(false);
    for (const x of [{ kind: 'bridge', name: 'x' }, { name: 'x' }, null, 7, 'netns', [{ kind: 'dir', path: '/x' }]]) expect(isLedgerEntry(x)).toBe(false);
  });
});

describe('reading a ledger', () => {
  it('blank lines are nothing; a torn or foreign line is skipped and counted', () => {
    const text = [JSON.stringify(KINDS[0]!.entry), '', '   ', '{"kind":"netns","na', JSON.stringify({ kind: 'netns' }), JSON.stringify(KINDS[2]!.entry), ''].join('\n');
    expect(readLedger(text)).toEqual({ entries: [KINDS[0]!.entry, KINDS[2]!.entry], skipped: 2 });
  });

  it('a run writes its entries one line each and reads them back, its header first and its last status', () => {
    const dir = join(scratchDir('ledgers'), 'ledgers');
    const l = Ledger.create(dir, 'ab12-nat', { tag: 'ab12', topology: 'nat', pid: 42, command: 'bench run', createdAt: '2026-12-04T00:00:00Z' });
    expect(l.status).toBe('building');
    l.append({ kind: 'netns', name: 'nb-ab12-nat-c1' });
    l.append({ kind: 'status', status: 'up' });
    l.append({ kind: 'status', status: 'tearing-down' });
    const back = Ledger.open(join(dir, 'ab12-nat.jsonl'));
    expect(back.header).toEqual({ kind: 'run', tag: 'ab12', topology: 'nat', pid: 42, command: 'bench run', createdAt: '2026-12-04T00:00:00Z' });
    expect(back.entries).toHaveLength(4);
    expect(back.status).toBe('tearing-down');
    expect(readFileSync(back.path, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
    back.remove();
    expect(Ledger.list(dir)).toEqual([]);
  });

  it('lists only regular *.jsonl files in name order, and says why it skipped the others', () => {
    const dir = scratchDir('ledgers');
    Ledger.create(dir, 'b', { tag: 'b', topology: 'x', pid: 1, command: 'c', createdAt: 't' });
    Ledger.create(dir, 'a', { tag: 'a', topology: 'x', pid: 1, command: 'c', createdAt: 't' });
    writeFileSync(join(dir, 'notes.txt'), 'not a ledger');
    mkdirSync(join(dir, 'c.jsonl'));
    writeFileSync(join(dir, 'd.jsonl'), `${JSON.stringify({ kind: 'dir', path: '/x' })}\nnot json\n{}\n`);
    const skipped: string[] = [];
    const ls = Ledger.list(dir, (p, why) => skipped.push(`${p.split('/').pop()}: ${why}`));
    expect(ls.map((l) => l.path.split('/').pop())).toEqual(['a.jsonl', 'b.jsonl', 'd.jsonl']);
    expect(skipped).toEqual(['c.jsonl: not a regular file', 'd.jsonl: 2 line(s) are not ledger entries and were skipped']);
    expect(ls[0]!.header?.tag).toBe('a');
    expect(ls[2]!.header).toBeUndefined();
  });

  it("a process's entry names the machine and namespace only when there is one", () => {
    const local = processEntry({ pid: 5, startTime: '99' } as Parameters<typeof processEntry>[0], 'netserver');
    expect(local).toEqual({ kind: 'process', label: 'netserver', pid: 5, startTime: '99' });
    const remote = processEntry({ pid: 6, startTime: '100', host: 'peer' } as Parameters<typeof processEntry>[0], 'iperf3', 'nb-ab12-nat-peer');
    expect(remote).toEqual({ kind: 'process', host: 'peer', netns: 'nb-ab12-nat-peer', label: 'iperf3', pid: 6, startTime: '100' });
  });
});
