/**
 * Teardown: walk a ledger in reverse and undo each entry. Every undo is idempotent (an
 * object already gone is success), so teardown works after a partial build, twice in a
 * row, and after the builder was SIGKILLed.
 */
import { rmSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AggregateCleanupError, errorMessage } from '../errors.js';
import { describeFailure, type Runner } from '../exec/runner.js';
import type { Ledger, LedgerEntry } from './ledger.js';
import { type ProcessControl, procfs, readPidFile, stopProcess } from './processes.js';
import { giveNicBack } from './nic.js';
import { stopDocker } from './docker.js';
import { cniEnv } from './cni.js';
import { SshRunner, stopRemote } from '../exec/ssh.js';
import { RunStore } from '../results/store.js';

export interface TeardownDeps {
  readonly runner: Runner;
  readonly processes?: ProcessControl;
  /** directories may only be removed below this root */
  readonly stateRoot: string;
  readonly dryRun?: boolean;
  readonly log?: (line: string) => void;
  /** the runner for a peer machine named in the ledger (real-host runs); by default, ssh as the ledger says */
  readonly remote?: (host: string) => Runner | undefined;
  /** who is cleaning up, as a killed run's results will say ("bench clean (pid 123, user root)") */
  readonly cleaner?: string;
}

/** Runners for the machines a ledger's `ssh` entries name (how `bench clean` reaches a killed run's peer). */
export function ledgerRemotes(entries: readonly LedgerEntry[], local: Runner): (host: string) => Runner | undefined {
  const known = new Map<string, Runner>();
  for (const e of entries) if (e.kind === 'ssh') known.set(e.host, new SshRunner(local, { destination: e.host, ...(e.config !== undefined ? { configFile: e.config } : {}) }));
  return (host) => known.get(host);
}

/**
 * What an undo step may meet when its object is already gone. "No such device" is the
 * kernel's answer when a link's name was found but the link vanished before the delete
 * (seen once in CI: a macvlan child's hostA entry, while its container's namespace was
 * being destroyed); iproute2 says "Cannot find device" when the name is not found at all.
 * "setting the network namespace … failed: Invalid argument" is a name in /run/netns that
 * holds no namespace (a run killed inside `ip netns add`, seen in the fault campaign):
 * nothing can be inside it, and the namespace entry removes the name.
 */
const GONE = /No such file or directory|Cannot find device|No such device|does not exist|No such process|Invalid netns|not found|Could not find|Cannot find specified qdisc|setting the network namespace "[^"]*" failed: Invalid argument/i;

/** What undoing an entry will do, in words, for --dry-run and logs. */
export function describeUndo(e: LedgerEntry): string | undefined {
  switch (e.kind) {
    case 'process':
      return `stop process ${e.pid} (${e.label})${e.host !== undefined ? ` on ${e.host}` : ''}`;
    case 'nic':
      return `give test NIC ${e.name} back from ${e.netns}${e.host !== undefined ? ` on ${e.host}` : ''}`;
    case 'ovs':
      return `stop Open vSwitch instance in ${e.netns} (${e.dir})`;
    case 'cni':
      return `CNI DEL of ${e.plugin} for ${e.containerNs}`;
    case 'docker':
      return `stop dockerd in ${e.netns} (${e.dir}), its containers, mounts and cgroups`;
    case 'nft-table':
      return `delete nftables table ${e.family} ${e.table} in ${e.netns}`;
    case 'qdisc':
      return `delete the clsact qdisc of ${e.dev} in ${e.netns}, and the tc BPF programs on it`;
    case 'link':
      return `delete link ${e.name} in ${e.netns}`;
    case 'netns':
      return `delete network namespace ${e.name}${e.host !== undefined ? ` on ${e.host}` : ''}`;
    case 'dir':
      return `remove directory ${e.path}`;
    case 'results':
      return `mark run ${e.runId} killed in ${e.path}, if it still says running`;
    default:
      return undefined;
  }
}

/** The names `ip netns list` shows (each line is "<name> (id: n)" or just "<name>"). */
export async function netnsNames(runner: Runner): Promise<string[]> {
  const r = await runner.run({ program: 'ip', args: ['netns', 'list'], timeoutMs: 10_000 });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

async function netnsExists(runner: Runner, name: string): Promise<boolean> {
  return (await netnsNames(runner)).includes(name);
}

/** Undo an entry on the peer machine. */
async function undoRemote(e: LedgerEntry, host: string, deps: TeardownDeps): Promise<void> {
  const remote = deps.remote?.(host);
  if (!remote) throw new Error(`cannot ${describeUndo(e) ?? 'undo an entry'}: the ledger does not say how to reach ${host}`);
  switch (e.kind) {
    case 'process':
      if (!(await stopRemote(remote, e.pid, e.startTime))) throw new Error(`process ${e.pid} (${e.label}) on ${host} did not stop`);
      return;
    case 'nic':
      await giveNicBack(remote, e);
      return;
    case 'netns': {
      const list = await remote.run({ program: 'ip', args: ['netns', 'list'], timeoutMs: 20_000 });
      if (list.spawnError !== undefined) throw new Error(list.spawnError);
      if (!list.stdout.split('\n').some((l) => l.split(' ')[0] === e.name)) return;
      const pids = await remote.run({ program: 'ip', args: ['netns', 'pids', e.name], timeoutMs: 20_000 });
      for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) await stopRemote(remote, pid, '');
      const del = await remote.run({ program: 'ip', args: ['netns', 'del', e.name], timeoutMs: 20_000 });
      if (del.exitCode !== 0 && !GONE.test(del.stderr)) throw new Error(describeFailure(del));
      return;
    }
    default:
      return;
  }
}

export async function undoEntry(e: LedgerEntry, deps: TeardownDeps): Promise<void> {
  const { runner } = deps;
  if ('host' in e && e.host !== undefined && e.kind !== 'ssh') return undoRemote(e, e.host, deps);
  const ctl = deps.processes ?? procfs;
  const tolerate = async (args: string[], netns?: string) => {
    const r = await runner.run({ program: args[0]!, args: args.slice(1), ...(netns ? { netns } : {}), timeoutMs: 20_000 });
    if (r.exitCode !== 0 && !GONE.test(r.stderr)) throw new Error(describeFailure(r));
  };
  switch (e.kind) {
    case 'process':
      await stopProcess(e.pid, e.startTime, ctl);
      return;
    case 'ovs':
      await stopOvs(e.dir, ctl);
      return;
    case 'cni': {
      // with hostA's namespace gone, so is everything the plugin made (its links, rules and routes)
      if (!(await netnsExists(runner, e.netns))) return;
      const r = await runner.run({ program: join(e.path, e.plugin), args: [], netns: e.netns, env: cniEnv(e, 'DEL', e.path), input: e.config, timeoutMs: 20_000 });
      if (r.exitCode !== 0 && !GONE.test(`${r.stderr} ${r.stdout}`)) throw new Error(`CNI DEL of ${e.plugin} for ${e.containerNs}: ${describeFailure(r)}`);
      return;
    }
    case 'docker': {
      const problems = await stopDocker(e, runner, ctl);
      if (problems.length > 0) throw new Error(`dockerd of ${e.dir} left: ${problems.join('; ')}`);
      return;
    }
    case 'nft-table':
      if (await netnsExists(runner, e.netns)) await tolerate(['nft', 'delete', 'table', e.family, e.table], e.netns);
      return;
    case 'qdisc':
      // with the namespace or the device gone, so are the qdisc and its programs
      if (await netnsExists(runner, e.netns)) await tolerate(['tc', 'qdisc', 'del', 'dev', e.dev, 'clsact'], e.netns);
      return;
    case 'link':
      if (await netnsExists(runner, e.netns)) await tolerate(['ip', '-n', e.netns, 'link', 'del', e.name]);
      return;
    case 'nic':
      await giveNicBack(runner, e);
      return;
    case 'netns': {
      if (!(await netnsExists(runner, e.name))) return;
      // every process inside one of our namespaces is ours: stop them before the namespace goes
      const pids = await runner.run({ program: 'ip', args: ['netns', 'pids', e.name], timeoutMs: 10_000 });
      for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) {
        await stopProcess(pid, ctl.startTime(pid), ctl);
      }
      await tolerate(['ip', 'netns', 'del', e.name]);
      return;
    }
    case 'dir': {
      const root = resolve(deps.stateRoot);
      const target = resolve(e.path);
      if (!target.startsWith(`${root}/`)) throw new Error(`refusing to remove ${target}: outside ${root}`);
      rmSync(target, { recursive: true, force: true });
      return;
    }
    case 'results': {
      const marked = RunStore.markKilled(e.path, deps.cleaner ?? `netbench (pid ${process.pid})`);
      if (marked === 'marked') deps.log?.(`run ${e.runId} never finished: its results (${e.path}) now say "killed"`);
      return;
    }
    default:
      return;
  }
}

/** The pids an OVS instance's run directory names in its pidfiles (unchecked: they may be stale). */
export function ovsPidfiles(dir: string): { file: string; pid: number }[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    const pid = readPidFile(join(dir, file));
    return pid === undefined ? [] : [{ file, pid }];
  });
}

/**
 * Stop an OVS instance from the pidfiles in its run directory. A pid is stopped only if
 * that process is an ovs daemon whose command line names this very pidfile: a pid
 * recycled by anything else is left alone.
 */
export async function stopOvs(dir: string, ctl: ProcessControl = procfs): Promise<void> {
  // vswitchd before the database it talks to
  const daemons = ovsPidfiles(dir).sort((a, b) => (a.file.includes('vswitchd') ? -1 : b.file.includes('vswitchd') ? 1 : 0));
  for (const { file: f, pid } of daemons) {
    const comm = ctl.comm(pid);
    if (comm === undefined || !comm.startsWith('ovs')) continue;
    if (!(ctl.cmdline(pid) ?? []).includes(`--pidfile=${join(dir, f)}`)) continue;
    await stopProcess(pid, ctl.startTime(pid), ctl);
  }
}

/** Undo a ledger's entries in reverse; collect every failure; remove the ledger when all succeeded. */
export async function teardown(ledger: Ledger, given: TeardownDeps): Promise<void> {
  const entries = [...ledger.entries].reverse();
  const deps: TeardownDeps = given.remote ? given : { ...given, remote: ledgerRemotes(ledger.entries, given.runner) };
  if (!deps.dryRun && ledger.status !== 'tearing-down') {
    try {
      ledger.append({ kind: 'status', status: 'tearing-down' });
    } catch (err) {
      // a full or read-only state directory must not stop the teardown itself
      deps.log?.(`could not note the teardown in ${ledger.path} (${errorMessage(err)}); removing everything anyway`);
    }
  }
  const errors: unknown[] = [];
  for (const e of entries) {
    const what = describeUndo(e);
    if (what === undefined) continue;
    if (deps.dryRun) {
      deps.log?.(`would ${what}`);
      continue;
    }
    try {
      await undoEntry(e, deps);
    } catch (err) {
      errors.push(err);
    }
  }
  if (deps.dryRun) return;
  if (errors.length > 0) throw new AggregateCleanupError(`teardown of ${ledger.path} left ${errors.length} object(s)`, errors);
  try {
    ledger.remove();
  } catch (err) {
    deps.log?.(`everything in ${ledger.path} was removed, but the ledger itself could not be (${errorMessage(err)})`);
  }
}
