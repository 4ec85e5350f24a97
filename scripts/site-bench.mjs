#!/usr/bin/env node
/**
 * How big a published site grows and how long adding a run takes, from saved runs:
 *   node scripts/site-bench.mjs <run dir or results.json>... [--runs 50]
 * Makes `--runs`+1 varied copies of the given runs (a new id and day each, figures
 * scaled per run and per topology, the kernel changed every 10 runs, an iperf3 update
 * half way), publishes the first 1, 10 and `--runs` of them into fresh sites, then adds
 * the last one to the biggest site three times (each on a fresh copy) and prints sizes
 * and times. Needs the built CLI (npm run build). Writes only under a temporary directory,
 * which it removes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { summarizeTrials } = await import(join(root, 'dist', 'src', 'results', 'summarize.js'));
const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const count = at >= 0 ? Number(args.splice(at, 2)[1]) : 50;
if (!args.length || !Number.isInteger(count) || count < 10) {
  console.error('usage: node scripts/site-bench.mjs <run dir or results.json>... [--runs N (10 or more)]');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'netbench-site-bench-'));
const bench = (a) => execFileSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const bytes = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).reduce((s, e) => s + statSync(join(e.parentPath, e.name)).size, 0);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
try {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const runs = [];
  for (let i = 0; i <= count; i++) {
    const src = args[i % args.length];
    const r = JSON.parse(readFileSync(src.endsWith('.json') ? src : join(src, 'results.json'), 'utf8'));
    const day = new Date(Date.UTC(2026, 0, 1 + i, 2));
    const id = `${day.toISOString().slice(0, 10).replace(/-/g, '')}-020000-s${String(i % 1000).padStart(3, '0')}`;
    const runFactor = 0.97 + rnd() * 0.06;
    const topo = Object.fromEntries(r.config.topologies.map((t) => [t, t === 'host' ? 1 : 0.95 + rnd() * 0.1]));
    const trials = r.trials.map((t) => (t.status !== 'ok' ? t : { ...t, metrics: Object.fromEntries(Object.entries(t.metrics).map(([k, m]) => [k, { ...m, value: m.value * runFactor * topo[t.topology] * (0.99 + rnd() * 0.02) }])) }));
    const tools = { ...r.environment.tools, ...(i >= count / 2 ? { iperf3: 'iperf 3.18' } : {}) };
    const v = { ...r, runId: id, startedAt: day.toISOString(), endedAt: new Date(day.getTime() + 300_000).toISOString(), trials, summary: summarizeTrials(trials), environment: { ...r.environment, kernel: `6.${12 + Math.floor(i / 10)}.0-bench`, tools, hostname: 'bench-1' } };
    const dir = join(work, 'runs', id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'results.json'), JSON.stringify(v));
    runs.push(dir);
  }
  for (const n of new Set([1, 10, count])) {
    const site = join(work, `site${n}`);
    const t = performance.now();
    bench(['publish', ...runs.slice(0, n), '--site', site]);
    console.log(`${n} run(s): ${mib(bytes(site))}, published from scratch in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  for (let k = 0; k < 3; k++) {
    const site = join(work, `add${k}`);
    cpSync(join(work, `site${count}`), site, { recursive: true });
    const t = performance.now();
    bench(['publish', runs[count], '--site', site]);
    console.log(`adding run ${count + 1} to the ${count}-run site: ${((performance.now() - t) / 1000).toFixed(2)} s (the site is now ${mib(bytes(site))})`);
    rmSync(site, { recursive: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
