/**
 * A fault campaign: `bench run` is SIGKILLed at 20 seeded random moments (during builds,
 * OVS start, servers, the tracer and teardown), and after each kill `bench clean` must
 * leave nothing: no namespace, process, OVS instance, ledger or scratch directory.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/stats/rng.js';
import { bench, benchBackground, ourNetns } from './helpers.js';

const KILLS = 20;
/** programs a run starts: none may outlive `bench clean` */
const OURS = /^(ovsdb-server|ovs-vswitchd|bpftrace|iperf3|netserver|netperf)$/;

function ourProcesses(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      // a zombie has ended; it only waits for its parent to collect its exit status
      if (OURS.test(comm) && state !== 'Z') out.push(`${comm}[${pid}] ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

const logLines = (runDir: string) => (existsSync(join(runDir, 'run.log')) ? readFileSync(join(runDir, 'run.log'), 'utf8').trim().split('\n') : []);
const ovsStarted = (state: string) => list(join(state, 'runs')).some((d) => existsSync(join(state, 'runs', d, 'ovs')));

/**
 * Each kill aims at one phase, in turn: it waits until run.log (or the state directory)
 * shows the phase has begun, then a further seeded random delay within it.
 */
const PHASES: { name: string; begun: (runDir: string, state: string) => boolean; jitterMs: number }[] = [
  { name: 'build', begun: () => true, jitterMs: 2500 },
  { name: 'OVS start', begun: (_r, state) => ovsStarted(state), jitterMs: 1200 },
  { name: 'servers', begun: (r) => logLines(r).some((l) => /^\S+ trial \d+ /.test(l)), jitterMs: 1000 },
  { name: 'tracer', begun: (r) => /tracing trial/.test(logLines(r).at(-1) ?? ''), jitterMs: 1500 },
  { name: 'teardown', begun: (r) => logLines(r).filter((l) => /^\S+ trial \d+ /.test(l)).length === 6, jitterMs: 800 },
];

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** What the last line of run.log says the run was doing. */
function phase(runDir: string): string {
  const log = existsSync(join(runDir, 'run.log')) ? readFileSync(join(runDir, 'run.log'), 'utf8').trim().split('\n') : [];
  const last = log[log.length - 1] ?? '';
  if (log.length <= 1) return 'building (host, ovs, macvlan-bridge)';
  if (/^\S+ built (\S+)/.test(last)) return `building (after ${/built (\S+)/.exec(last)![1]})`;
  if (log.filter((l) => /^\S+ trial \d+ /.test(l)).length === 6) return 'tearing down (every trial done)';
  if (/tracing trial/.test(last)) return 'traced trial (bpftrace attached)';
  if (/^\S+ trial /.test(last)) return 'trials (servers and clients)';
  return last.split(' ').slice(1, 4).join(' ');
}

describe('SIGKILL at random moments, then bench clean', () => {
  it(`leaves nothing behind after any of ${KILLS} kills`, async () => {
    expect(ourProcesses()).toEqual([]);
    const state = mkdtempSync(join(tmpdir(), 'nb-campaign-state-'));
    const out = mkdtempSync(join(tmpdir(), 'nb-campaign-'));
    const env = { NETBENCH_STATE_DIR: state };
    const rng = seededRng(20261128);
    const rows: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const target = PHASES[i % PHASES.length]!;
      const runDir = join(out, `kill-${i}`);
      const started = Date.now();
      const child = benchBackground(['run', '--topology', 'ovs,macvlan-bridge', '--workload', 'tcp-rr', '--path', 'c1-peer', '--trials', '1', '--duration', '1', '--warmup', '0', '--out', runDir], env);
      expect(await until(() => target.begun(runDir, state), 60_000), `phase ${target.name} never began`).toBe(true);
      await new Promise((r) => setTimeout(r, Math.round(rng() * target.jitterMs)));
      const atMs = Date.now() - started;
      const during = `aimed at ${target.name}; ${phase(runDir)}`;
      child.kill('SIGKILL');
      await child;
      const left = { netns: ourNetns().length, processes: ourProcesses().length, ledgers: list(join(state, 'ledgers')).length, scratch: list(join(state, 'runs')).length };
      const clean = await bench(['clean'], env);
      expect(clean.code, clean.stderr).toBe(0);
      const after = { netns: ourNetns(), processes: ourProcesses(), ledgers: list(join(state, 'ledgers')), scratch: list(join(state, 'runs')) };
      rows.push(`kill ${String(i + 1).padStart(2)} at ${(atMs / 1000).toFixed(1).padStart(4)} s, ${during}: left ${left.netns} netns, ${left.processes} processes, ${left.ledgers} ledgers, ${left.scratch} scratch dirs; after clean: ${after.netns.length + after.processes.length + after.ledgers.length + after.scratch.length} objects`);
      expect(after, `${rows[rows.length - 1]}\nclean said:\n${clean.stdout}`).toEqual({ netns: [], processes: [], ledgers: [], scratch: [] });
    }
    process.stdout.write(`fault campaign:\n${rows.join('\n')}\n`);
  }, 1_200_000);
});
