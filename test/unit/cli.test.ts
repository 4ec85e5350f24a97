import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IO } from '../../src/cli/io.js';
import { table } from '../../src/util/table.js';
import { runCli } from '../../src/cli/program.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { PASSTHRU_TWO_CHILDREN } from '../support/fixtures.js';

function capture(): IO & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', isTTY: false, out: (t: string) => (io.stdout += t), err: (t: string) => (io.stderr += t) };
  return io;
}

afterEach(() => vi.restoreAllMocks());

describe('bench CLI', () => {
  it('lists topologies as JSON with their expected reachability', async () => {
    const io = capture();
    expect(await runCli(['topology', 'list', '--json'], { io })).toBe(0);
    const data = JSON.parse(io.stdout) as { name: string; mode: string | null; expected: Record<string, string> }[];
    expect(data.map((d) => d.name)).toContain('macvlan-passthru');
    expect(data.find((d) => d.name === 'macvlan-bridge')?.expected['hostA->c1']).toBe('no');
    expect(data.find((d) => d.name === 'nat')?.expected['peer sees c1 as']).toBe('hostA');
  });

  it('exits 2 with the valid names for an unknown topology, building nothing', async () => {
    const io = capture();
    const runner = new RecordingRunner();
    expect(await runCli(['topology', 'check', 'macvlan-l2'], { io, runner })).toBe(2);
    expect(io.stderr).toMatch(/unknown topology 'macvlan-l2'; valid topologies: host, nat/);
    expect(runner.calls).toHaveLength(0);
  });

  it('exits 2 for real-host flags that do not go together, touching nothing', async () => {
    const io = capture();
    const runner = new RecordingRunner();
    expect(await runCli(['doctor', '--uplink', 'eth1'], { io, runner })).toBe(2);
    expect(io.stderr).toMatch(/give --peer <destination> too/);
    expect(await runCli(['run', '--peer', 'lab2', '--topology', 'host'], { io, runner })).toBe(2);
    expect(io.stderr).toMatch(/needs all three of --uplink .* --peer .* --peer-uplink/);
    expect(runner.calls).toHaveLength(0);
  });

  it('exits 2 for an invalid topology file, naming the problem', async () => {
    const io = capture();
    const runner = new RecordingRunner();
    expect(await runCli(['topology', 'up', PASSTHRU_TWO_CHILDREN], { io, runner })).toBe(2);
    expect(io.stderr).toContain('passthru allows one child per parent');
    expect(runner.calls).toHaveLength(0);
  });

  it('exits 2 for unknown options and bad numbers', async () => {
    const io = capture();
    expect(await runCli(['topology', 'list', '--colour'], { io })).toBe(2);
    expect(io.stderr).toContain("unknown option '--colour'");
    expect(await runCli(['topology', 'time', 'host', '--iterations', '0'], { io })).toBe(2);
    expect(io.stderr).toMatch(/--iterations must be a whole number/);
    expect(await runCli(['topology', 'check'], { io })).toBe(2);
    expect(io.stderr).toContain('name a topology or pass --all');
  });

  it('refuses to run without root, with exit 2 and nothing built', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const io = capture();
    const runner = new RecordingRunner();
    expect(await runCli(['topology', 'check', 'bridge'], { io, runner })).toBe(2);
    expect(io.stderr).toContain('must run as root');
    expect(runner.calls).toHaveLength(0);
  });

  it('names a missing tool and how to install it', async () => {
    const { requireTools, findOnPath } = await import('../../src/tools.js');
    expect(findOnPath('netbench-no-such-tool', '/nonexistent')).toBeUndefined();
    expect(() => requireTools(['ip', 'netperf'], (p) => (p === 'ip' ? '/usr/sbin/ip' : undefined))).toThrow(
      /required tool 'netperf' \(request\/response workloads\) is not installed; install it with: scripts\/setup.sh \(or apt-get install netperf after enabling Debian's non-free component\)/,
    );
  });
});

describe('table', () => {
  it('aligns text left and numbers right', () => {
    expect(table(['name', 'n'], [['a', '5'], ['bbb', '10']])).toBe('name   n\n----  --\na      5\nbbb   10\n');
  });
});
