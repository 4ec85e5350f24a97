/** The run directory: what a new run replaces, an atomic results.json that survives a failed write, the run log. */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStore, realFileOps } from '../../src/results/store.js';
import { syntheticResults, trial } from '../support/synthetic.js';
import { scratchDir } from '../support/scratch.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = scratchDir('store'));

describe('a run directory', () => {
  it("replacing removes an earlier run's files and nothing else; without replacing, they stay", () => {
    const d = join(fresh(), 'out');
    mkdirSync(join(d, 'raw'), { recursive: true });
    mkdirSync(join(d, 'svg'));
    for (const f of ['results.json', 'results.json.tmp', 'run.log', 'report.html', 'report.md', 'raw/1.txt', 'svg/a.svg', 'notes.txt']) writeFileSync(join(d, f), 'old');
    new RunStore(d).init();
    expect(readFileSync(join(d, 'results.json'), 'utf8')).toBe('old');
    expect(readdirSync(join(d, 'raw'))).toEqual(['1.txt']);
    new RunStore(d).init(true);
    expect(readdirSync(d).sort()).toEqual(['notes.txt', 'raw']);
    expect(readdirSync(join(d, 'raw'))).toEqual([]);
  });

  it('a write that fails leaves the previous results.json as it was, no temporary file, and says so with the cause', () => {
    const d = join(fresh(), 'out');
    const ok = new RunStore(d);
    ok.init();
    const first = syntheticResults([trial('host', 0, 1000)]);
    ok.writeResults(first);
    const failing = new RunStore(d, {
      writeFile: realFileOps.writeFile,
      rename: () => {
        throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      },
    });
    expect(() => failing.writeResults(syntheticResults([trial('host', 0, 1), trial('host', 1, 2)]))).toThrow(`could not write ${join(d, 'results.json')} (ENOSPC); the previous results.json is intact`);
    expect(JSON.parse(readFileSync(join(d, 'results.json'), 'utf8'))).toEqual(first);
    expect(existsSync(join(d, 'results.json.tmp'))).toBe(false);
  });

  it('the run log: one line per entry, each with its time', () => {
    const d = join(fresh(), 'out');
    const s = new RunStore(d);
    s.init();
    s.log('built bridge');
    s.log('tearing down');
    const lines = readFileSync(s.logPath, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /, '<t> '))).toEqual(['<t> built bridge', '<t> tearing down']);
    expect(s.writeRaw('1.txt', 'out')).toBe(join('raw', '1.txt'));
    expect(readFileSync(join(d, 'raw', '1.txt'), 'utf8')).toBe('out');
  });
});
