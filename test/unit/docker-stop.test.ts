/**
 * Stopping a run's own dockerd and what it made, with stand-ins the test owns: a
 * "daemon" and a "shim" are real processes whose command lines name the run's docker
 * directory, as dockerd's and containerd's do; the docker CLI is a recording runner.
 * The search is given only the test's own processes, so that a broken match cannot reach
 * anything else. Only processes that name this directory are stopped (a sibling
 * directory's are not),
 * the daemon's containers are removed first, the paths it made outside are removed when
 * they are files or empty directories, and the directory itself goes.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { dockerPaths, stopDocker } from '../../src/lab/docker.js';
import { procfs } from '../../src/lab/processes.js';
import { ended, ownChild } from '../support/children.js';
import { waitFor } from '../support/poll.js';
import { scratchDir } from '../support/scratch.js';

/** a process whose argv carries `args`, and that ends at SIGINT as a daemon does (node, idling) */
async function standIn(...args: string[]): Promise<ChildProcess> {
  const c = ownChild(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '--', ...args]);
  await waitFor(() => (procfs.cmdline(c.pid!) ?? []).includes(args[0]!), 2000);
  return c;
}

describe("stopping a run's dockerd", () => {
  it('removes its containers, stops the daemon and what names its directory, and nothing else', async () => {
    const root = scratchDir('docker');
    const dir = join(root, 'docker');
    const p = dockerPaths(dir);
    mkdirSync(p.data, { recursive: true });
    const daemon = await standIn(`--pidfile=${p.pidfile}`, `--data-root=${p.data}`);
    writeFileSync(p.pidfile, `${daemon.pid}\n`);
    const shim = await standIn(`${dir}/exec/containerd-shim`, '-namespace', 'moby');
    const byOption = await standIn(`--state=${dir}/exec/containerd`);
    const sibling = await standIn(`${dir}-other/exec/containerd-shim`);
    const outside = { file: join(root, 'key.json'), empty: join(root, 'plugins'), used: join(root, 'containerd') };
    writeFileSync(outside.file, '{}');
    mkdirSync(outside.empty);
    mkdirSync(outside.used);
    writeFileSync(join(outside.used, 'other.sock'), '');
    const docker = new RecordingRunner((spec) => (spec.args.includes('ps') ? { stdout: 'c0ffee01\nbeef0002\n' } : undefined));

    const ours = () => [daemon, shim, byOption, sibling].map((c) => c.pid!);
    const problems = await stopDocker({ dir, cgroupParent: 'netbench-none-such', created: [outside.file, outside.empty, outside.used, join(root, 'never-made')] }, docker, procfs, ours);

    expect(problems).toEqual([]);
    expect(docker.calls.map((c) => [c.program, ...c.args].join(' '))).toEqual([`docker -H unix://${p.socket} ps -aq`, `docker -H unix://${p.socket} rm -f -v c0ffee01 beef0002`]);
    expect(await waitFor(() => ended(daemon) && ended(shim) && ended(byOption), 3000)).toBe(true);
    expect(ended(sibling)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(outside.file)).toBe(false);
    expect(existsSync(outside.empty)).toBe(false);
    expect(existsSync(join(outside.used, 'other.sock'))).toBe(true);
  });

  it('a pidfile naming a process that is not this daemon (its pid recycled) is not signalled, and no container is asked for', async () => {
    const root = scratchDir('docker');
    const dir = join(root, 'docker');
    const p = dockerPaths(dir);
    mkdirSync(dir, { recursive: true });
    const other = await standIn('--pidfile=/run/docker.pid');
    writeFileSync(p.pidfile, `${other.pid}\n`);
    const docker = new RecordingRunner();
    const ours = () => [other.pid!];
    expect(await stopDocker({ dir, cgroupParent: 'netbench-none-such', created: [] }, docker, procfs, ours)).toEqual([]);
    expect(docker.calls).toEqual([]);
    expect(ended(other)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    // and twice in a row: nothing left to do, nothing to complain about
    expect(await stopDocker({ dir, cgroupParent: 'netbench-none-such', created: [] }, docker, procfs, ours)).toEqual([]);
  });
});
