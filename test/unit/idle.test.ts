/**
 * The CPU idle regime and the CPU-latency request: the sysfs listing parsed, the request
 * written as the kernel reads it and released, the regime recorded by a run, and the gate
 * refusing to compare runs taken in different regimes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentRequestUs, holdCpuLatency, holdHasNoEffect, holdOnPeer, parseIdleRegime, readIdleRegime } from '../../src/lab/idle.js';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { describeIdle, idleDifference } from '../../src/results/idle.js';
import { incompatibilities } from '../../src/gate/gate.js';
import { resolveRunConfig } from '../../src/run/config.js';
import { executeRun } from '../../src/run/execute.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import type { IdleEnv, OkTrial } from '../../src/results/types.js';
import type { TrialFn } from '../../src/run/measure.js';
import { syntheticResults, trial } from '../support/synthetic.js';
import { simulatedKernel, tempState } from '../support/fakes.js';
import { fixturePath } from '../support/fixtures.js';
import { scratchDir } from '../support/scratch.js';

const FIXTURES = fixturePath('idle');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
let cleanup = () => {};
afterEach(() => cleanup());

describe('the idle regime from sysfs', () => {
  it('reads driver, governor and each state with its exit latency; a name may hold spaces', () => {
    expect(parseIdleRegime(fixture('haltpoll.txt'))).toEqual({
      driver: 'haltpoll',
      governor: 'haltpoll',
      states: [
        { name: 'POLL', exitLatencyUs: 0, disabled: false },
        { name: 'haltpoll idle', exitLatencyUs: 1, disabled: false },
      ],
    });
    const acpi = parseIdleRegime(fixture('acpi-idle.txt'));
    expect(acpi.states.map((s) => [s.name, s.exitLatencyUs, s.disabled])).toEqual([['POLL', 0, false], ['C1', 1, false], ['C2', 100, false], ['C3', 1000, true]]);
    expect(parseIdleRegime(fixture('none.txt'))).toEqual({ driver: 'none', governor: 'menu', states: [] });
    expect(parseIdleRegime('')).toEqual({ driver: null, governor: null, states: [] });
  });

  it('takes the first governor (the read-only file is listed first), any spacing, and skips lines it cannot use', () => {
    const text = ['  driver   intel_idle ', 'governor teo', 'governor menu', 'state 2', 'state x 0 C9', 'state 10 1 C1E  deep', 'noise 1 2 3', 'driver'].join('\n');
    expect(parseIdleRegime(text)).toEqual({ driver: 'intel_idle', governor: 'teo', states: [{ name: 'C1E deep', exitLatencyUs: 10, disabled: true }] });
  });

  it("the script reads this machine's sysfs as it is (driver, governor, CPU 0's states)", async () => {
    const d = '/sys/devices/system/cpu/cpuidle';
    const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').trim() : null);
    const cpu0 = '/sys/devices/system/cpu/cpu0/cpuidle';
    const states = existsSync(cpu0)
      ? readdirSync(cpu0)
          .filter((n) => n.startsWith('state'))
          .sort()
          .map((n) => ({ name: read(join(cpu0, n, 'name'))!, exitLatencyUs: Number(read(join(cpu0, n, 'latency'))), disabled: read(join(cpu0, n, 'disable')) === '1' }))
      : [];
    expect(await readIdleRegime(new ExecaRunner())).toEqual({ driver: read(join(d, 'current_driver')), governor: read(join(d, 'current_governor_ro')) ?? read(join(d, 'current_governor')), states });
  });

  it('the script reads a sysfs laid out as the kernel does: the read-only governor first, state names with spaces, a state without a name passed over', async () => {
    const cpu = scratchDir('sysfs');
    const put = (rel: string, text: string) => (mkdirSync(dirname(join(cpu, rel)), { recursive: true }), writeFileSync(join(cpu, rel), `${text}\n`));
    put('cpuidle/current_driver', 'haltpoll');
    put('cpuidle/current_governor_ro', 'haltpoll');
    put('cpuidle/current_governor', 'menu');
    put('cpu0/cpuidle/state0/name', 'POLL');
    put('cpu0/cpuidle/state0/latency', '0');
    put('cpu0/cpuidle/state0/disable', '0');
    put('cpu0/cpuidle/state1/name', 'C1 deep');
    put('cpu0/cpuidle/state1/latency', '2');
    put('cpu0/cpuidle/state1/disable', '1');
    put('cpu0/cpuidle/state2/name', 'C2'); // an older kernel: no disable file
    put('cpu0/cpuidle/state2/latency', '100');
    put('cpu0/cpuidle/state3/latency', '500'); // the last one unreadable: the script still succeeds
    expect(await readIdleRegime(new ExecaRunner(), cpu)).toEqual({
      driver: 'haltpoll',
      governor: 'haltpoll',
      states: [
        { name: 'POLL', exitLatencyUs: 0, disabled: false },
        { name: 'C1 deep', exitLatencyUs: 2, disabled: true },
        { name: 'C2', exitLatencyUs: 100, disabled: false },
      ],
    });
    // only the writable governor file, as older kernels have
    rmSync(join(cpu, 'cpuidle', 'current_governor_ro'));
    expect((await readIdleRegime(new ExecaRunner(), cpu)).governor).toBe('menu');
    // no cpuidle at all
    expect(await readIdleRegime(new ExecaRunner(), join(cpu, 'none'))).toEqual({ driver: null, governor: null, states: [] });
  });

  it('says when a request has nothing to hold back', () => {
    expect(holdHasNoEffect(parseIdleRegime(fixture('none.txt')))).toMatch(/^no cpuidle driver/);
    expect(holdHasNoEffect(parseIdleRegime(''))).toMatch(/^no cpuidle driver/);
    expect(holdHasNoEffect(parseIdleRegime('driver acpi_idle\nstate 0 0 POLL\nstate 100 1 C2\n'))).toMatch(/offers no state with an exit latency/);
    expect(holdHasNoEffect(parseIdleRegime(fixture('haltpoll.txt')))).toBeNull();
    expect(holdHasNoEffect(parseIdleRegime(fixture('acpi-idle.txt')))).toBeNull();
  });
});

describe('the CPU-latency request', () => {
  function device(): string {
    const dir = scratchDir('idle');
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    const path = join(dir, 'cpu_dma_latency');
    writeFileSync(path, '');
    return path;
  }

  it('writes the value as one 32-bit integer and keeps the file open until released', () => {
    const path = device();
    const hold = holdCpuLatency(25, path);
    expect(hold).toMatchObject({ valueUs: 25, reason: null });
    expect(readFileSync(path)).toEqual(Buffer.from([25, 0, 0, 0]));
    expect(currentRequestUs(path)).toBe(25);
    // the request lasts as long as the file is open: release closes it, once
    const openOn = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;
    expect(openOn()).toBe(1);
    hold.release();
    expect(openOn()).toBe(0);
    hold.release();
    expect(holdCpuLatency(-1, path).valueUs).toBe(-1);
    expect(currentRequestUs(path)).toBe(-1);
  });

  it('never throws: a device that cannot be opened gives no hold and the reason', () => {
    const hold = holdCpuLatency(0, '/nonexistent/cpu_dma_latency');
    expect(hold.valueUs).toBeNull();
    expect(hold.reason).toBe('/nonexistent/cpu_dma_latency could not be held (ENOENT)');
    expect(() => hold.release()).not.toThrow();
    expect(currentRequestUs('/nonexistent/cpu_dma_latency')).toBeNull();
  });
});

describe("the peer's request, held by a shell (here on this machine, as over ssh)", () => {
  it('writes the value, says held, keeps the file open until stopped', async () => {
    const dir = scratchDir('peer-hold');
    const path = join(dir, 'cpu_dma_latency');
    writeFileSync(path, '');
    const { proc, hold } = await holdOnPeer(new ExecaRunner(), 0, 30_000, path);
    try {
      expect(hold).toEqual({ valueUs: 0, reason: null });
      expect(proc).toBeDefined();
      expect(readFileSync(path, 'utf8')).toBe('0');
      expect(existsSync(`/proc/${proc!.pid}`)).toBe(true);
    } finally {
      await proc?.stop(100);
    }
    expect(existsSync(`/proc/${proc!.pid}`)).toBe(false);
  });

  it("a device that cannot be opened: no hold, the shell's own words, and no wait for the 10 s limit", async () => {
    const path = join(scratchDir('peer-hold'), 'missing', 'cpu_dma_latency');
    const t0 = Date.now();
    const { proc, hold } = await holdOnPeer(new ExecaRunner(), 0, 30_000, path);
    expect(proc).toBeUndefined();
    expect(hold.valueUs).toBeNull();
    expect(hold.reason).toMatch(new RegExp(`^on the peer, ${path} could not be held \\(.*(nonexistent|No such file).*\\)$`));
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a shell that never says held is stopped at the wait, and says so; a shell that ends gives its last words, or its exit code', async () => {
    // opening a FIFO for writing waits for a reader: the shell never gets to "held"
    const fifo = join(scratchDir('peer-hold'), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const { proc, hold } = await holdOnPeer(new ExecaRunner(), 0, 30_000, fifo, 300);
    expect(proc).toBeUndefined();
    expect(hold.reason).toBe(`on the peer, ${fifo} could not be held (no answer within 0.3 s)`);
    const ended = (reply: { exitCode: number; stderr: string }) => holdOnPeer(new RecordingRunner(() => reply), 0, 30_000, '/dev/x', 300);
    expect((await ended({ exitCode: 3, stderr: 'sh: 1: first\nsh: 1: last words\n\n' })).hold.reason).toBe('on the peer, /dev/x could not be held (sh: 1: last words)');
    expect((await ended({ exitCode: 3, stderr: '' })).hold.reason).toBe('on the peer, /dev/x could not be held (exit 3)');
  });
});

describe('a run holds the request from before the first trial to after teardown', () => {
  async function run(flags: { deepIdle?: boolean }, refuse = false) {
    const t = tempState();
    cleanup = t.cleanup;
    const { runner, namespaces } = simulatedKernel();
    const events: string[] = [];
    const cfg = resolveRunConfig({ topology: 'host', workload: 'tcp-rr', path: 'c1-peer', trials: 2, warmup: 0, seed: 1, out: join(t.state.root, 'out'), trace: false, ...flags });
    const trialFn: TrialFn = async (s) => {
      events.push(`trial ${s.index}`);
      const rec: OkTrial = { ...s, status: 'ok', metrics: { tps: { value: 1000, unit: 'transactions/s' } }, flags: [], raw: [], startedAt: new Date().toISOString(), durationMs: 1 };
      return rec;
    };
    const warnings: string[] = [];
    const cpuIdle = {
      hold: (us: number) => {
        events.push(`hold ${us}`);
        return refuse ? { valueUs: null, reason: '/dev/cpu_dma_latency could not be held (EACCES)', release: () => events.push('release') } : { valueUs: us, reason: null, release: () => events.push(`release with ${namespaces.size} namespaces left`) };
      },
    };
    const { results } = await executeRun(cfg, { runner, state: t.state, aborted: () => false, command: 'test', cpuIdle, warn: (m) => warnings.push(m) }, { trialFn });
    return { results, events, warnings };
  }

  it('holds 0 µs by default, released once everything is torn down, and records it', async () => {
    const { results, events } = await run({});
    expect(events).toEqual(['hold 0', 'trial 0', 'trial 1', 'release with 0 namespaces left']);
    expect(results.environment.idle).toMatchObject({ requestUs: 0 });
  });

  it('--deep-idle holds nothing and says so', async () => {
    const { results, events } = await run({ deepIdle: true });
    expect(events).toEqual(['trial 0', 'trial 1']);
    expect(results.environment.idle?.requestUs).toBeNull();
    expect(results.environment.idle?.note).toMatch(/--deep-idle/);
  });

  it('a machine that refuses the request is measured without it: said once, kept as a caveat', async () => {
    const { results, warnings } = await run({}, true);
    expect(results.status).toBe('complete');
    expect(results.environment.idle?.requestUs).toBeNull();
    expect(warnings).toEqual([expect.stringContaining('EACCES')]);
    expect(results.caveats.filter((c) => c.startsWith('CPU idle:'))).toHaveLength(1);
  });

  it('reads the regime through the runner (the same script runs on the peer over ssh)', async () => {
    const runner = new RecordingRunner((spec) => (spec.program === 'sh' ? { stdout: fixture('haltpoll.txt') } : undefined));
    const { readIdleRegime } = await import('../../src/lab/idle.js');
    expect((await readIdleRegime(runner)).driver).toBe('haltpoll');
    expect(runner.calls[0]?.args[0]).toBe('-c');
  });
});

describe('the idle regime in reports and the gate', () => {
  const held: IdleEnv = { driver: 'haltpoll', governor: 'haltpoll', states: [{ name: 'POLL', exitLatencyUs: 0, disabled: false }, { name: 'haltpoll idle', exitLatencyUs: 1, disabled: false }], requestUs: 0, note: null };
  const free: IdleEnv = { ...held, requestUs: null, note: 'no request held (--deep-idle): the CPUs may sleep between packets, as deployed' };
  const withIdle = (idle: IdleEnv | undefined) => {
    const r = syntheticResults([trial('host', 0, 1000), trial('bridge', 0, 900)]);
    return { ...r, environment: { ...r.environment, ...(idle ? { idle } : {}) } };
  };

  it('describes the request, the driver and the states in one line', () => {
    expect(describeIdle(held)).toBe('CPU idle: CPUs held out of idle sleep (a 0 µs CPU-latency request for the whole run); cpuidle driver haltpoll, governor haltpoll; idle states POLL 0 µs, haltpoll idle 1 µs');
    expect(describeIdle(free)).toMatch(/^CPU idle: CPUs free to sleep between packets .*\. No request held \(--deep-idle\)/);
    expect(describeIdle(undefined)).toMatch(/not recorded/);
    // this VM: no cpuidle driver at all, so no states; a state switched off says so
    const bare: IdleEnv = { driver: null, governor: null, states: [], requestUs: 0, note: null };
    expect(describeIdle(bare)).toBe('CPU idle: CPUs held out of idle sleep (a 0 µs CPU-latency request for the whole run); cpuidle driver none, governor none; no idle states listed');
    expect(describeIdle({ ...held, states: [{ name: 'C6', exitLatencyUs: 85, disabled: true }] })).toMatch(/; idle states C6 85 µs \(disabled\)$/);
    expect(idleDifference(bare, held)).toBe('CPU idle drivers differ (none vs haltpoll)');
    expect(idleDifference(held, bare)).toBe('CPU idle drivers differ (haltpoll vs none)');
  });

  it('the gate refuses to compare runs taken in different regimes, and names both', () => {
    expect(incompatibilities(withIdle(held), withIdle(held), 'relative')).toEqual([]);
    expect(incompatibilities(withIdle(held), withIdle(free), 'relative')).toEqual(['CPU idle regimes differ (baseline: a 0 µs CPU-latency request held; current: no CPU-latency request)']);
    // a baseline from before the regime was recorded held no request
    expect(incompatibilities(withIdle(undefined), withIdle(held), 'relative')).toEqual(['CPU idle regimes differ (baseline: no CPU-latency request (not recorded: runs then held none); current: a 0 µs CPU-latency request held)']);
    expect(incompatibilities(withIdle(undefined), withIdle(free), 'relative')).toEqual([]);
    expect(idleDifference(held, { ...held, driver: 'acpi_idle' })).toBe('CPU idle drivers differ (haltpoll vs acpi_idle)');
  });
});
