import { readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { type WriteFn, writeDurably } from '../../src/util/files.js';
import { syntheticResults, trial } from '../support/synthetic.js';
import type { TrialRecord } from '../../src/results/types.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackgroundProcess, CommandResult, CommandSpec, Runner } from '../../src/exec/runner.js';
import { toArgv } from '../../src/exec/runner.js';
import { Ledger } from '../../src/lab/ledger.js';
import { RunStore } from '../../src/results/store.js';
import { runTrial } from '../../src/run/trial.js';
import type { ScheduledTrial } from '../../src/run/schedule.js';
import type { RoutePlan } from '../../src/topology/routes.js';
import { tempState } from '../support/fakes.js';
import { fixtureText } from '../support/fixtures.js';

const fixture = fixtureText;
const result = (spec: CommandSpec, r: Partial<CommandResult> = {}): CommandResult => ({ argv: toArgv(spec), exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, durationMs: 1, ...r });

interface Script {
  alreadyBound?: boolean;
  serverListens?: boolean;
  serverDiesWith?: string;
  client?: Partial<CommandResult>;
}

/** A lab in miniature: a server that listens (or not) and a client that answers from a script. */
class ScriptedRunner implements Runner {
  readonly calls: string[] = [];
  private serverUp = false;
  constructor(private readonly s: Script) {}
  async run(spec: CommandSpec): Promise<CommandResult> {
    this.calls.push(toArgv(spec).join(' '));
    if (spec.program === 'ss') return result(spec, { stdout: this.s.alreadyBound || this.serverUp ? 'LISTEN 0 5 0.0.0.0:5201 0.0.0.0:*\n' : '' });
    // the client's test is the server's one test (iperf3 -s -1): it ends with it
    if (this.serverUp) this.endServer?.();
    return result(spec, this.s.client);
  }
  private endServer: (() => void) | undefined;
  async start(spec: CommandSpec): Promise<BackgroundProcess> {
    this.calls.push(toArgv(spec).join(' '));
    let resolveExit!: (r: CommandResult) => void;
    const exited = new Promise<CommandResult>((r) => (resolveExit = r));
    if (this.s.serverDiesWith) resolveExit(result(spec, { exitCode: 1, stderr: this.s.serverDiesWith }));
    else if (this.s.serverListens !== false) {
      this.serverUp = true;
      this.endServer = () => {
        this.serverUp = false;
        resolveExit(result(spec, { exitCode: 0 }));
      };
    }
    return { pid: 999_999, argv: toArgv(spec), exited, output: () => '', stop: async () => { this.serverUp = false; resolveExit(result(spec, { signal: 'SIGINT', exitCode: null })); return exited; } };
  }
}

let cleanup = () => {};
afterEach(() => cleanup());

function setup(script: Script, workload: ScheduledTrial['workload'] = 'tcp-stream', expectedRate?: number, durationS = 1) {
  const t = tempState();
  cleanup = t.cleanup;
  const store = new RunStore(join(t.state.root, 'run'));
  store.init();
  const ledger = Ledger.create(t.state.ledgers, 'abcd-x', { tag: 'abcd', topology: 'x', pid: 1, command: 't', createdAt: 'now' });
  const runner = new ScriptedRunner(script);
  const trial: ScheduledTrial = { index: 3, block: 0, warmup: false, traced: false, topology: 'bridge', workload, path: 'c1-peer' };
  const plan: RoutePlan = { client: { netns: 'nb-abcd-x-c1', address: '198.18.0.11', ifname: 'c' }, server: { netns: 'nb-abcd-x-peer', address: '198.18.0.2', ifname: 'p' }, target: '198.18.0.2', label: 'c1→peer' };
  let cpu = 0;
  const deps = { runner, store, ledger, durationS, pinning: { client: 0, server: 1 }, serverStartMs: 300, readCpu: () => ({ busy: (cpu += 150), total: 0 }), ...(expectedRate !== undefined ? { expectedRate } : {}) };
  return { run: () => runTrial(trial, plan, deps), runner, store, ledger };
}

describe('a trial', () => {
  it('measures: server pinned in the server namespace, client pinned in the client namespace, CPU cost per GB', async () => {
    const { run, runner, ledger, store } = setup({ client: { stdout: fixture('iperf3', 'tcp-stream.json') } });
    const r = await run();
    expect(r.status).toBe('ok');
    const raw = JSON.parse(fixture('iperf3', 'tcp-stream.json'));
    expect(r.metrics['throughput_gbps']?.value).toBeCloseTo(raw.end.sum_received.bits_per_second / 1e9, 9);
    expect(r.metrics['cpu_s_per_gb']?.value).toBeCloseTo(1.5 / (raw.end.sum_received.bytes / 1e9), 9);
    expect(runner.calls).toContain('ip netns exec nb-abcd-x-peer taskset -c 1 iperf3 -s -1 -p 5201 --idle-timeout 31 -J');
    expect(runner.calls.some((c) => c.startsWith('ip netns exec nb-abcd-x-c1 taskset -c 0 iperf3 -c 198.18.0.2 -p 5201 -t 1 -P 1 -J'))).toBe(true);
    expect(Ledger.open(ledger.path).entries.some((e) => e.kind === 'process' && e.pid === 999_999)).toBe(true);
    expect(r.raw[0]).toBe('raw/0003-bridge-tcp-stream-c1-peer.client.txt');
    expect(readFileSync(join(store.dir, r.raw[0]!), 'utf8')).toBe(fixture('iperf3', 'tcp-stream.json'));
  });

  it('is a failed record, not an exception, when the port is already bound', async () => {
    const r = await setup({ alreadyBound: true }).run();
    expect(r).toMatchObject({ status: 'failed', error: expect.stringContaining('port 5201 is already bound in nb-abcd-x-peer') });
  });

  it('fails when the server never comes up', async () => {
    const r = await setup({ serverListens: false }).run();
    expect(r.status === 'failed' && r.error).toMatch(/iperf3 never came up in nb-abcd-x-peer: not listening on port 5201 after 300 ms/);
  });

  it('fails with the server\'s words when it dies at start', async () => {
    const r = await setup({ serverDiesWith: 'iperf3: error - unable to start listener' }).run();
    expect(r.status === 'failed' && r.error).toMatch(/it exited: .*unable to start listener/);
  });

  it('fails when the client hangs', async () => {
    const r = await setup({ client: { timedOut: true, signal: 'SIGKILL', exitCode: null } }).run();
    expect(r.status === 'failed' && r.error).toBe('iperf3 hung: no result within 16 s (killed)');
  });

  it('fails with iperf3\'s own error from its JSON', async () => {
    const r = await setup({ client: { stdout: fixture('iperf3', 'error-busy.json'), exitCode: 1 } }).run();
    expect(r.status === 'failed' && r.error).toBe('iperf3: the server is busy running a test. try again later');
  });

  it('netperf: transactions, latency percentiles and CPU per transaction', async () => {
    const r = await setup({ client: { stdout: fixture('netperf', 'tcp-rr.txt') } }, 'tcp-rr').run();
    expect(r.status).toBe('ok');
    expect(Object.keys(r.metrics).sort()).toEqual(['cpu_busy_s', 'cpu_us_per_txn', 'mean_us', 'p50_us', 'p90_us', 'p99_us', 'tps']);
    expect(r.metrics['p99_us']?.unit).toBe('µs');
  });

  it('tcp-crr is always sized by count (no 4 s end-of-test pad): from its rate once known, from a short fixed count before; other workloads by time', async () => {
    const clientLine = (calls: string[]) => calls.find((c) => c.includes('netperf -H'))!;
    const sized = setup({ client: { stdout: fixture('netperf', 'tcp-crr.txt') } }, 'tcp-crr', 11_682.4);
    expect((await sized.run()).status).toBe('ok');
    expect(clientLine(sized.runner.calls)).toContain('-t TCP_CRR -l -11682 -4');
    const first = setup({ client: { stdout: fixture('netperf', 'tcp-crr.txt') } }, 'tcp-crr');
    await first.run();
    expect(clientLine(first.runner.calls)).toContain('-t TCP_CRR -l -3000 -4');
    const rr = setup({ client: { stdout: fixture('netperf', 'tcp-rr.txt') } }, 'tcp-rr', 13_000);
    await rr.run();
    expect(clientLine(rr.runner.calls)).toContain('-t TCP_RR -l 1 -4');
  });

  it('a short trial (under a second) of any workload ends by count: the bytes or transactions its rate so far moves in that time, one second before any rate is known', async () => {
    const line = (calls: string[], client: string) => calls.find((c) => c.includes(client))!;
    // 20 Gbit/s for 0.25 s: 625 MB
    const stream = setup({ client: { stdout: fixture('iperf3', 'tcp-stream.json') } }, 'tcp-stream', 20, 0.25);
    expect((await stream.run()).status).toBe('ok');
    expect(line(stream.runner.calls, 'iperf3 -c')).toContain(' -n 625000000 -P 1 ');
    expect(line(stream.runner.calls, 'iperf3 -c')).not.toContain(' -t ');
    // the warm-up has no rate yet: a second by time
    const first = setup({ client: { stdout: fixture('iperf3', 'tcp-stream.json') } }, 'tcp-stream', undefined, 0.25);
    await first.run();
    expect(line(first.runner.calls, 'iperf3 -c')).toContain(' -t 1 ');
    // 1,000,000 packets/s of 64 bytes for 0.5 s: 32 MB
    const udp = setup({ client: { stdout: fixture('iperf3', 'udp-pps.json') } }, 'udp-pps', 1e6, 0.5);
    await udp.run();
    expect(line(udp.runner.calls, 'iperf3 -c')).toContain(' -n 32000000 -u ');
    // 40,000 transactions/s for 0.25 s
    const rr = setup({ client: { stdout: fixture('netperf', 'tcp-rr.txt') } }, 'tcp-rr', 40_000, 0.25);
    expect((await rr.run()).status).toBe('ok');
    expect(line(rr.runner.calls, 'netperf -H')).toContain('-t TCP_RR -l -10000 -4');
  });
});

describe('expected rate for count-sized trials', () => {
  it('is the median of the cell\'s successful trials, else of the same topology and workload on another path', async () => {
    const { expectedRate } = await import('../../src/run/measure.js');
    const crr = (path: 'c1-peer' | 'peer-c1', tps: number, ok = true): TrialRecord => {
      const base = { ...trial('nat', 0, tps), workload: 'tcp-crr' as const, path };
      return ok ? base : { ...base, status: 'failed', error: 'x', metrics: {}, flags: [] };
    };
    const trials = [crr('c1-peer', 9000), crr('c1-peer', 11_000), crr('c1-peer', 10_000), crr('c1-peer', 1, false), crr('peer-c1', 8000)];
    expect(expectedRate(trials, { topology: 'nat', workload: 'tcp-crr', path: 'c1-peer' })).toBe(10_000);
    expect(expectedRate(trials.filter((t) => t.path === 'peer-c1'), { topology: 'nat', workload: 'tcp-crr', path: 'c1-peer' })).toBe(8000);
    expect(expectedRate(trials, { topology: 'bridge', workload: 'tcp-crr', path: 'c1-peer' })).toBeUndefined();
  });
});

describe('results store', () => {
  it('keeps the previous results.json when the disk is full', () => {
    const t = tempState();
    cleanup = t.cleanup;
    const dir = join(t.state.root, 'run');
    const good = new RunStore(dir);
    good.init();
    const first = { schema: 'netbench.results/1', runId: 'first' } as never;
    good.writeResults(first);
    const full = new RunStore(dir, {
      writeFile: () => {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
      rename: () => {},
    });
    expect(() => full.writeResults({ runId: 'second' } as never)).toThrow(/could not write .*results\.json \(ENOSPC\); the previous results\.json is intact/);
    expect(JSON.parse(readFileSync(good.resultsPath, 'utf8')).runId).toBe('first');
  });

  it('a short write (the disk filled mid-file) is an error, never a truncated results.json', () => {
    const t = tempState();
    cleanup = t.cleanup;
    const dir = join(t.state.root, 'run');
    const good = new RunStore(dir);
    good.init();
    good.writeResults(syntheticResults([]));
    // the kernel accepts 100 bytes, then no more: what a full disk does to write(2)
    let budget = 100;
    const shortWrite: WriteFn = (fd, buf, off, len) => {
      const n = Math.min(len, budget);
      budget -= n;
      return n === 0 ? 0 : writeSync(fd, buf, off, n);
    };
    const full = new RunStore(dir, { writeFile: (p, d) => writeDurably(p, d, shortWrite), rename: renameSync });
    expect(() => full.writeResults(syntheticResults([trial('host', 0, 1)]))).toThrow(/could not write .*results\.json .*short write: 100 of \d+ bytes written/);
    expect(JSON.parse(readFileSync(good.resultsPath, 'utf8')).trials).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
