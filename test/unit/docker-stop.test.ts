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
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { dockerPaths, pidsInCgroup, stopDocker } from '../../src/lab/docker.js';
import { procfs, type ProcessControl } from '../../src/lab/processes.js';
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
    const problems = await stopDocker({ dir, cgroupParent: 'netbench-none-such', created: [outside.file, outside.empty, outside.used, join(root, 'never-made')] }, docker, procfs, { pids: ours });

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
    expect(await stopDocker({ dir, cgroupParent: 'netbench-none-such', created: [] }, docker, procfs, { pids: ours })).toEqual([]);
    expect(docker.calls).toEqual([]);
    expect(ended(other)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    // and twice in a row: nothing left to do, nothing to complain about
    expect(await stopDocker({ dir, cgroupParent: 'netbench-none-such', created: [] }, docker, procfs, { pids: ours })).toEqual([]);
  });

  it("after a SIGKILL of the run: its containers found by cgroup, its mounts unmounted, its cgroups removed, and what is left said", async () => {
    const root = scratchDir('docker');
    const dir = join(root, 'docker');
    mkdirSync(dir, { recursive: true });
    const container = await standIn('container-init');
    const atParent = await standIn('container-at-parent');
    const neighbour = await standIn('neighbour-container');
    // what /proc/<pid>/cgroup says of each: v1 hierarchies and the unified one
    const cgroups = new Map<number, string[]>([
      [container.pid!, ['/user.slice', '/netbench-abcd/c0ffee', '']],
      [atParent.pid!, ['/netbench-abcd']],
      [neighbour.pid!, ['/netbench-abcde/beef', '/netbench-abc']],
    ]);
    const mountinfo = [
      '1 0 0:1 / / rw - ext4 /dev/vda1 rw',
      `2 1 0:2 / ${dir}/data/overlay2/l1/merged rw - overlay overlay rw`,
      `3 1 0:3 / ${dir}/exec/netns/n1 rw - nsfs nsfs rw`,
      `4 1 0:4 / ${dir}-other/data rw - tmpfs tmpfs rw`,
    ].join('\n');
    const umount = new RecordingRunner((spec) =>
      spec.args.at(-1)!.endsWith('/merged') ? { exitCode: 32, stderr: `umount: ${spec.args.at(-1)}: not mounted.` } : { exitCode: 32, stderr: `umount: ${spec.args.at(-1)}: target is busy.\n` },
    );
    const cg = join(root, 'cgroup');
    mkdirSync(join(cg, 'cpu', 'netbench-abcd', 'c0ffee'), { recursive: true });
    mkdirSync(join(cg, 'memory', 'netbench-abcd'), { recursive: true });
    writeFileSync(join(cg, 'memory', 'netbench-abcd', 'busy'), ''); // a cgroup that will not go
    mkdirSync(join(cg, 'cpu', 'netbench-abcde'), { recursive: true });
    // the process doing the stopping never stops itself, even when its command line names the directory
    const self: ProcessControl = { ...procfs, cmdline: (pid) => (pid === process.pid ? ['node', `--state=${dir}/exec`] : procfs.cmdline(pid)), kill: (pid, sig) => (pid === process.pid ? (selfSignalled = true) : procfs.kill(pid, sig)) };
    let selfSignalled = false;

    const pids = () => [container.pid!, atParent.pid!, neighbour.pid!, process.pid];
    const problems = await stopDocker({ dir, cgroupParent: 'netbench-abcd', created: [] }, umount, self, { pids, cgroupsOf: (pid) => cgroups.get(pid) ?? [], mountinfo: () => mountinfo, cgroupRoot: cg });

    expect(await waitFor(() => ended(container) && ended(atParent), 3000)).toBe(true);
    expect(ended(neighbour)).toBe(false);
    expect(selfSignalled).toBe(false);
    // deepest first; the neighbour's mount is not touched; "not mounted" is done already
    expect(umount.calls.map((c) => c.args.at(-1))).toEqual([`${dir}/data/overlay2/l1/merged`, `${dir}/exec/netns/n1`]);
    expect(problems).toEqual([`umount ${dir}/exec/netns/n1: umount: ${dir}/exec/netns/n1: target is busy.`, expect.stringMatching(new RegExp(`^cgroup ${join(cg, 'memory', 'netbench-abcd')}: .*ENOTEMPTY`))]);
    expect(readdirSync(join(cg, 'cpu'))).toEqual(['netbench-abcde']);
    expect(existsSync(dir)).toBe(false);
  });

  it("a daemon that lists no containers, or cannot answer, is asked to remove none", async () => {
    for (const reply of [{ stdout: '\n' }, { exitCode: 1, stdout: 'c0ffee01', stderr: 'Cannot connect to the Docker daemon' }]) {
      const root = scratchDir('docker');
      const dir = join(root, 'docker');
      const p = dockerPaths(dir);
      mkdirSync(dir, { recursive: true });
      const daemon = await standIn(`--pidfile=${p.pidfile}`);
      writeFileSync(p.pidfile, ` ${daemon.pid}\n`);
      const docker = new RecordingRunner((spec) => (spec.args.includes('ps') ? reply : undefined));
      expect(await stopDocker({ dir, cgroupParent: 'netbench-none-such', created: [] }, docker, procfs, { pids: () => [daemon.pid!], mountinfo: () => '' })).toEqual([]);
      expect(docker.calls.map((c) => c.args.at(-1))).toEqual(['-aq']);
      expect(await waitFor(() => ended(daemon), 3000)).toBe(true);
    }
  });
});

describe("a run's containers, by cgroup", () => {
  it('are the processes at or below the run\'s cgroup in any hierarchy; a name it prefixes, and a process gone, are not', () => {
    const of: Record<number, string[]> = { 1: ['/netbench-abcd'], 2: ['/', '/netbench-abcd/x/y'], 3: ['/netbench-abcde'], 4: ['/system.slice/netbench-abcd'], 5: [] };
    expect(pidsInCgroup('netbench-abcd', [1, 2, 3, 4, 5], (pid) => of[pid] ?? [])).toEqual([1, 2]);
    // this machine's own: a pid that is not there has no cgroup
    expect(pidsInCgroup('netbench-abcd', [2 ** 30])).toEqual([]);
  });
});

