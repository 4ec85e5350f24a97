/**
 * Bad inputs and hostile files, through the CLI in-process: each is refused with a clear
 * line and its own exit code, never a stack trace, never a pass, never file contents.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { scratchDir } from '../support/scratch.js';

const root = join(import.meta.dirname, '..', '..');
const small = join(root, 'test', 'fixtures', 'results', 'small-run.json');
const traced = join(root, 'test', 'fixtures', 'results', 'traced-run.json');
const json = (f: string): Record<string, unknown> => JSON.parse(readFileSync(f, 'utf8'));
const dir = scratchDir('hard');
let n = 0;
const file = (content: unknown, name = `f${n++}.json`) => {
  const f = join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};

async function cli(args: string[]) {
  const io: IO & { stdout: string; stderr: string } = { stdout: '', stderr: '', isTTY: false, out: (t) => (io.stdout += t), err: (t) => (io.stderr += t) };
  const runner = new RecordingRunner();
  const code = await runCli(args, { io, runner });
  return { code, out: io.stdout, err: io.stderr, calls: runner.calls.length };
}

describe('results files that must be refused (exit 2, the offending field named)', () => {
  const s = json(small);
  it.each([
    ['null results', 'null', /is not a netbench results file/],
    ['reachability: {}', { ...s, environment: { ...(s['environment'] as object), topologies: [{ ...((s['environment'] as { topologies: object[] }).topologies[0] ?? {}), reachability: {} }] } }, /\/environment\/topologies\/0\/reachability must have required property 'topology'/],
    ['tracing: {cells: "x"}', { ...json(traced), tracing: { cells: 'x' } }, /\/tracing must have required property 'program'/],
  ])('%s', async (_name, content, message) => {
    const r = await cli(['report', file(content), '--out', join(dir, 'r.html')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/TypeError|at .*\.js:\d+/);
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });

  it('1e999 (Infinity after parsing) in a metric', async () => {
    const text = readFileSync(small, 'utf8').replace(/"value": [0-9.e+-]+/, '"value": 1e999');
    const r = await cli(['report', file(text), '--out', join(dir, 'inf.html')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/trials\/\d+\/metrics\/\w+\/value must be number/);
  });

  it('markup in tracing.cells[].packets', async () => {
    const t = json(traced) as { tracing: { cells: Record<string, unknown>[] } };
    t.tracing.cells[0] = { ...t.tracing.cells[0], packets: '<img src=x onerror=alert(1)>' };
    const r = await cli(['report', file(t), '--out', join(dir, 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/tracing\/cells\/0\/packets must be integer/);
  });

  it('a results file of absurd size is refused before it is read', async () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    const { truncateSync } = await import('node:fs');
    truncateSync(big, 300 * 1024 * 1024);
    const r = await cli(['report', big]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is 300 MiB; a results file is at most 256 MiB/);
  });
});

describe('inputs that reach too far', () => {
  it('--topology ../../etc/passwd never echoes the file', async () => {
    const r = await cli(['topology', 'check', '/etc/passwd']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/topology \/etc\/passwd: not a topology file: not valid JSON/);
    expect(r.err).not.toMatch(/root:/);
    expect(r.calls).toBe(0);
  });

  it('--profile with a path that is not a profile is refused; names only come from bench/profiles', async () => {
    const traversal = await cli(['run', '--profile', '../../package', '--topology', 'host']);
    expect(traversal.code).toBe(2);
    expect(traversal.err).toMatch(/profile file \.\.\/\.\.\/package does not exist/);
    const pkg = await cli(['run', '--profile', join(root, 'package.json'), '--topology', 'host']);
    expect(pkg.code).toBe(2);
    expect(pkg.err).toMatch(/profile .*package\.json is invalid: \/ must have required property 'workloads'/);
    const odd = await cli(['run', '--profile', 'Quick!', '--topology', 'host']);
    expect(odd.code).toBe(2);
    expect(odd.err).toMatch(/unknown profile 'Quick!'; valid profiles: ci, quick, standard/);
  });

  it('a topology file may not take a built-in name', async () => {
    const bridge = json(join(root, 'topologies', 'bridge.json'));
    const r = await cli(['topology', 'check', file({ ...bridge, name: 'host' })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is named 'host', a built-in topology's name; give the copy a name of its own/);
    expect(r.calls).toBe(0);
  });

  it('container names longer than the build allows fail validation, not the build', async () => {
    const bridge = json(join(root, 'topologies', 'bridge.json'));
    const r = await cli(['topology', 'check', file({ ...bridge, name: 'long', containers: { count: 1, names: ['container9'] } })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/containers\.names\.0 'container9' is 10 characters; at most 8 allowed/);
    expect(r.calls).toBe(0);
  });

  it('nat publish entries that repeat a suite port or each other are refused', async () => {
    const nat = json(join(root, 'topologies', 'nat.json'));
    const r = await cli(['topology', 'check', file({ ...nat, name: 'natdup', publish: [{ proto: 'tcp', port: 5201 }, { proto: 'tcp', port: 8080 }, { proto: 'tcp', port: 8080 }] })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/publish: tcp\/5201 is one of the suite's own tool ports/);
    expect(r.err).toMatch(/publish: tcp\/8080 is published twice/);
  });

  it('a topology file of absurd size is refused', async () => {
    const bridge = json(join(root, 'topologies', 'bridge.json'));
    const r = await cli(['topology', 'check', file({ ...bridge, name: 'huge', description: 'x'.repeat(100_000) })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is \d+ bytes; a topology file is at most 64 KiB/);
  });
});

describe('nothing written over, nothing unwritable discovered late', () => {
  it('baseline save refuses to replace a baseline unless --force, and says what it replaced', async () => {
    const bl = join(dir, 'baselines');
    expect((await cli(['baseline', 'save', small, '--dir', bl])).code).toBe(0);
    const again = await cli(['baseline', 'save', small, '--dir', bl]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/baseline 'default' already exists .*pass --force to replace it/);
    const forced = await cli(['baseline', 'save', small, '--dir', bl, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/\(replaced run 20\d{6}-\d{6}-\w{4}\)/);
  });

  it('an unwritable baseline --dir, --markdown or --junit is exit 74 with the reason', async () => {
    const d = await cli(['baseline', 'save', small, '--dir', '/proc/nope']);
    expect(d.code).toBe(74);
    expect(d.err).toMatch(/cannot create directory for the baseline \/proc\/nope: ENOENT/);
    const md = await cli(['gate', '--baseline', small, '--current', small, '--markdown', '/dev/null/gate.md']);
    expect(md.code).toBe(74);
    expect(md.err).toMatch(/cannot create directory for the --markdown file \/dev\/null: \/dev\/null is not a directory/);
    const ju = await cli(['gate', '--baseline', small, '--current', small, '--junit', '/proc/nope/gate.xml']);
    expect(ju.code).toBe(74);
  });

  it('report --svg into /proc fails at once (Node\'s recursive mkdir would spin there)', async () => {
    const t0 = Date.now();
    const r = await cli(['report', small, '--out', join(dir, 'ok.html'), '--svg', '/proc/nope']);
    expect(r.code).toBe(74);
    expect(r.err).toMatch(/cannot create directory for the SVG directory \/proc\/nope: ENOENT/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(existsSync(join(dir, 'ok.html'))).toBe(false);
  });

  it('--out naming an earlier run is refused without --force; a non-run directory always', async () => {
    const runDir = join(dir, 'earlier');
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'results.json'), readFileSync(small));
    const r = await cli(['run', '--topology', 'host', '--out', runDir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already holds a run; choose another directory, or pass --force to replace it/);
    const other = join(dir, 'photos');
    mkdirSync(other);
    writeFileSync(join(other, 'cat.jpg'), 'x');
    const r2 = await cli(['run', '--topology', 'host', '--out', other, '--force']);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/is a non-empty directory that holds no netbench run/);
    expect(r.calls + r2.calls).toBe(0);
  });
});
