/**
 * Stopping a dockerd of a run's own, and everything it made: its containers' processes
 * (found by the run's cgroup parent), its containerd and shims (found by the state
 * directory on their command lines), the mounts under its data directory, its cgroups,
 * and the few paths outside the run's directory that dockerd makes and that were not
 * there before it started. Works with the daemon alive, after a SIGKILL of the run, and
 * twice in a row. A system dockerd names none of these paths and is never touched.
 */
import { readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { type ProcessControl, procfs, readPidFile, stopProcess } from './processes.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** Paths a dockerd makes outside its --data-root and --exec-root whatever it is told. */
export const DOCKER_OUTSIDE_PATHS = ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'] as const;

/** Every container of a run sits below this cgroup: how its processes are found after a SIGKILL. */
export function dockerCgroupParent(tag: string): string {
  return `netbench-${tag}`;
}

export function dockerPaths(dir: string) {
  return { data: join(dir, 'data'), exec: join(dir, 'exec'), pidfile: join(dir, 'dockerd.pid'), socket: join(dir, 'docker.sock'), config: join(dir, 'daemon.json'), image: join(dir, 'image'), log: join(dir, 'dockerd.log') };
}

function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
}

/** The cgroup paths of a process, one per hierarchy (the third field of each line of /proc/<pid>/cgroup). */
function procCgroups(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .map((l) => l.split(':')[2] ?? '');
  } catch {
    return [];
  }
}

/** Processes in the run's cgroup (its containers), in any hierarchy. */
export function pidsInCgroup(parent: string, pids = allPids(), cgroupsOf: (pid: number) => string[] = procCgroups): number[] {
  return pids.filter((pid) => cgroupsOf(pid).some((c) => c === `/${parent}` || c.startsWith(`/${parent}/`)));
}

/** Every cgroup directory named `parent` (and what is below it), in any hierarchy and in the unified layout, deepest first. */
export function cgroupDirs(parent: string, root = CGROUP_ROOT): string[] {
  const out: string[] = [];
  // what cannot be listed is not a directory (or is gone): it is not a cgroup to remove
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) walk(join(d, e));
    out.push(d);
  };
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(root);
  } catch {
    return [];
  }
  for (const h of hierarchies) walk(join(root, h, parent));
  walk(join(root, parent)); // the unified (v2) layout
  return out;
}

/** Mount points at or below `dir`, deepest first. */
export function mountsBelow(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const points = mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export interface DockerStop {
  readonly dir: string;
  readonly cgroupParent: string;
  readonly created: readonly string[];
}

/** Where stopDocker looks: this machine, or (in tests) a part of it the test owns. */
export interface DockerSystem {
  /** the processes to look through (a test gives only its own, so that a broken match can never reach anything else) */
  readonly pids: () => number[];
  readonly cgroupsOf: (pid: number) => string[];
  readonly mountinfo: () => string;
  readonly cgroupRoot: string;
}

const thisMachine: DockerSystem = { pids: allPids, cgroupsOf: procCgroups, mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'), cgroupRoot: CGROUP_ROOT };

export async function stopDocker(d: DockerStop, runner: Runner, ctl: ProcessControl = procfs, system: Partial<DockerSystem> = {}): Promise<string[]> {
  const sys = { ...thisMachine, ...system };
  const p = dockerPaths(d.dir);
  const problems: string[] = [];
  // the daemon first, gently: it stops its containers and unmounts their layers itself
  const daemon = readPidFile(p.pidfile);
  if (daemon !== undefined && (ctl.cmdline(daemon) ?? []).includes(`--pidfile=${p.pidfile}`)) {
    const ids = await containerIds(runner, p.socket);
    if (ids.length > 0) await runner.run({ program: 'docker', args: ['-H', `unix://${p.socket}`, 'rm', '-f', '-v', ...ids], timeoutMs: 30_000 });
    await stopProcess(daemon, ctl.startTime(daemon), ctl, 10_000);
  }
  // whatever survived a SIGKILL of the run: containers (by cgroup), containerd and shims (by path)
  for (const pid of pidsInCgroup(d.cgroupParent, sys.pids(), sys.cgroupsOf)) await stopProcess(pid, ctl.startTime(pid), ctl);
  for (const pid of sys.pids()) {
    if (pid === process.pid) continue;
    const argv = ctl.cmdline(pid);
    if (argv?.some((a) => a.startsWith(`${d.dir}/`) || a.includes(`=${d.dir}/`))) await stopProcess(pid, ctl.startTime(pid), ctl);
  }
  for (const m of mountsBelow(d.dir, sys.mountinfo())) {
    const r = await runner.run({ program: 'umount', args: ['-l', m], timeoutMs: 10_000 });
    if (r.exitCode !== 0 && !/not mounted|no mount point/i.test(r.stderr)) problems.push(`umount ${m}: ${r.stderr.trim()}`);
  }
  for (const c of cgroupDirs(d.cgroupParent, sys.cgroupRoot)) {
    try {
      rmdirSync(c);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`cgroup ${c}: ${(err as Error).message}`);
    }
  }
  for (const path of d.created) removeCreated(path);
  rmSync(d.dir, { recursive: true, force: true });
  return problems;
}

/** Remove a path dockerd made outside the run's directory: a file, or a directory once empty. */
function removeCreated(path: string): void {
  try {
    if (statSync(path).isDirectory()) rmdirSync(path);
    else rmSync(path, { force: true });
  } catch {
    // gone, or no longer empty: something else uses it now
  }
}

async function containerIds(runner: Runner, socket: string): Promise<string[]> {
  const r = await runner.run({ program: 'docker', args: ['-H', `unix://${socket}`, 'ps', '-aq'], timeoutMs: 15_000 });
  return r.exitCode === 0 ? (r.stdout.match(/\S+/g) ?? []) : [];
}
