/**
 * Names, the lock's holder record and the state directory, at their edges: a run tag is
 * exactly a letter and three letters or digits, a topology's slot is one of 36, an
 * interface name is refused one character past the kernel's limit with how long the
 * role may be, the lock's holder record is read only when whole, its release removes
 * only its own record, and two spellings of one state directory share one lock.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, describeHolder, readHolder } from '../../src/lab/lock.js';
import { IFNAMSIZ, Naming, newTag, tagOfNetns, TAG_PATTERN } from '../../src/lab/names.js';
import { lockNameFor, stateDirs } from '../../src/lab/state.js';
import { scratchDir } from '../support/scratch.js';

describe('names', () => {
  it('a run tag is a letter and then three letters or digits, nothing around it', () => {
    for (const ok of ['abcd', 'a123', 'z9z9']) expect(TAG_PATTERN.test(ok), ok).toBe(true);
    for (const bad of ['1abc', 'abc', 'abcde', 'Abcd', 'xabcd', 'abcdx', 'ab-d']) expect(TAG_PATTERN.test(bad), bad).toBe(false);
    expect(tagOfNetns('nb-abcd-nat-c1')).toBe('abcd');
    for (const other of ['xnb-abcd-nat', 'nb-abc-nat', 'nb-abcde-nat', 'nb-Abcd-x', 'nbtest-abcd-x']) expect(tagOfNetns(other), other).toBeUndefined();
    // a new tag: the first draw picks among the 26 letters, the others among 36
    const draws: number[] = [];
    expect(newTag((max) => (draws.push(max), max - 1))).toBe('z999');
    expect(draws).toEqual([26, 36, 36, 36]);
  });

  it('a topology slot is one of 36 (a-z, 0-9), and a bad tag is refused', () => {
    expect(new Naming('abcd', 'nat', 0).prefix).toBe('abcda');
    expect(new Naming('abcd', 'nat', 35).prefix).toBe('abcd9');
    expect(() => new Naming('abcd', 'nat', 36)).toThrow('too many topologies in one run (max 36)');
    expect(() => new Naming('abcd', 'nat', -1)).toThrow('too many topologies in one run (max 36)');
    expect(() => new Naming('ABCD', 'nat', 0)).toThrow("bad run tag 'ABCD'");
  });

  it('an interface name may be exactly the kernel limit, not one more, and the refusal says how long the role may be', () => {
    const n = new Naming('abcd', 'bridge', 1);
    // prefix "abcdb" and a dash leave 9 characters for the role
    expect(n.ifname('r'.repeat(9))).toHaveLength(IFNAMSIZ);
    expect(() => n.ifname('r'.repeat(10))).toThrow(`interface name 'abcdb-${'r'.repeat(10)}' for '${'r'.repeat(10)}' is 16 characters; the kernel allows 15 (use at most 9 characters for '${'r'.repeat(10)}')`);
    expect(n.netns('c1')).toBe('nb-abcd-bridge-c1');
    expect(n.nftTable).toBe('netbench_abcd');
    expect(n.ledgerId).toBe('abcd-bridge');
  });
});

describe('the lock', () => {
  it("reads a holder record only when it is whole, and says who holds the lock or that someone does", () => {
    const dir = scratchDir('lock');
    const f = join(dir, 'lock.json');
    writeFileSync(f, JSON.stringify({ pid: 42, command: 'bench run', since: '2026-12-04T00:00:00Z' }));
    expect(readHolder(f)).toEqual({ pid: 42, command: 'bench run', since: '2026-12-04T00:00:00Z' });
    expect(describeHolder(readHolder(f))).toBe('pid 42 (bench run) since 2026-12-04T00:00:00Z');
    for (const text of ['null', '7', '"x"', '{"pid":"42","command":"c","since":"s"}', '{"pid":42,"since":"s"}', '{"pid":42,"command":"c","since":1}', '{not json']) {
      writeFileSync(f, text);
      expect(readHolder(f), text).toBeUndefined();
    }
    expect(readHolder(join(dir, 'missing.json'))).toBeUndefined();
    expect(describeHolder(undefined)).toBe('another netbench process');
  });

  it("writes who holds it, and its release removes only its own record", async () => {
    const dir = scratchDir('lock');
    const infoPath = join(dir, 'state', 'lock.json');
    const name = `netbench-test-lock-${process.pid}-${Date.now()}`;
    const lock = await acquireLock({ name, infoPath, command: 'bench test', waitMs: 0 });
    expect(readHolder(infoPath)).toMatchObject({ pid: process.pid, command: 'bench test' });
    await lock.release();
    expect(existsSync(infoPath)).toBe(false);
    // a record another process wrote since (it took the lock after us) is left alone
    const again = await acquireLock({ name, infoPath, command: 'bench test', waitMs: 0 });
    writeFileSync(infoPath, JSON.stringify({ pid: 1, command: 'someone else', since: 'now' }));
    await again.release();
    expect(JSON.parse(readFileSync(infoPath, 'utf8'))).toEqual({ pid: 1, command: 'someone else', since: 'now' });
  });

  it('a lock held elsewhere is refused at its deadline, naming the holder', async () => {
    const dir = scratchDir('lock');
    const infoPath = join(dir, 'lock.json');
    const name = `netbench-test-lock-held-${process.pid}-${Date.now()}`;
    const held = await acquireLock({ name, infoPath, command: 'bench run --topology all', waitMs: 0 });
    try {
      const waited: unknown[] = [];
      await expect(acquireLock({ name, infoPath, command: 'bench run', waitMs: 0, onWait: (h) => waited.push(h) })).rejects.toThrow(`another run holds the netbench lock: pid ${process.pid} (bench run --topology all) since `);
      expect(waited).toEqual([]);
      // the holder travels with the error, for a caller that catches it
      await expect(acquireLock({ name, infoPath, command: 'bench run', waitMs: 0 })).rejects.toMatchObject({ code: 'LOCKED', details: { holder: { pid: process.pid, command: 'bench run --topology all' } } });
    } finally {
      await held.release();
    }
  });
});

describe('the state directory', () => {
  it('holds ledgers, runs and the lock record; NETBENCH_STATE_DIR moves it, /run/netbench otherwise', () => {
    expect(stateDirs('/x/state')).toEqual({ root: '/x/state', ledgers: '/x/state/ledgers', runs: '/x/state/runs', lockInfo: '/x/state/lock.json' });
    const saved = process.env['NETBENCH_STATE_DIR'];
    try {
      delete process.env['NETBENCH_STATE_DIR'];
      expect(stateDirs().root).toBe('/run/netbench');
      process.env['NETBENCH_STATE_DIR'] = '/y';
      expect(stateDirs().root).toBe('/y');
    } finally {
      if (saved === undefined) delete process.env['NETBENCH_STATE_DIR'];
      else process.env['NETBENCH_STATE_DIR'] = saved;
    }
  });

  it('two spellings of one directory share one lock; another directory has its own', () => {
    const base = scratchDir('state');
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const a = lockNameFor(stateDirs(join(base, 'real')));
    expect(a).toMatch(/^netbench-lock-[0-9a-f]{24}$/);
    expect(lockNameFor(stateDirs(join(base, 'link')))).toBe(a);
    expect(lockNameFor(stateDirs(join(base, 'real', '.')))).toBe(a);
    expect(lockNameFor(stateDirs(join(base, 'other')))).not.toBe(a);
    expect(existsSync(join(base, 'other'))).toBe(true);
  });
});
