/**
 * `bench clean`: remove whatever earlier runs left, found two ways: their ledgers, and
 * (for a run killed before its ledger said everything) namespaces and scratch dirs
 * named with a run tag. Nothing without netbench's name is touched.
 */
import { readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { errorMessage } from '../errors.js';
import { Ledger, RUN_LEDGER } from './ledger.js';
import { runTagLive } from './lock.js';
import { NETNS_PATTERN, tagOfNetns } from './names.js';
import type { ProcessControl } from './processes.js';
import type { StateDirs } from './state.js';
import { netnsNames, stopOvs, teardown, undoEntry } from './teardown.js';
import { dockerCgroupParent, stopDocker } from './docker.js';

export interface CleanReport {
  readonly actions: string[];
  readonly errors: string[];
}

export async function listOurNetns(runner: Runner): Promise<string[]> {
  return (await netnsNames(runner)).filter((n) => NETNS_PATTERN.test(n));
}

export interface CleanDeps {
  readonly runner: Runner;
  readonly state: StateDirs;
  readonly dryRun: boolean;
  readonly processes?: ProcessControl;
  readonly log?: (line: string) => void;
}

export async function clean(deps: CleanDeps): Promise<CleanReport> {
  const actions: string[] = [];
  const errors: string[] = [];
  const verb = (doing: string, would: string) => (deps.dryRun ? would : doing);
  const log = (l: string) => {
    actions.push(l);
    deps.log?.(l);
  };
  const tdDeps = { runner: deps.runner, stateRoot: deps.state.root, cleaner: `bench clean (pid ${process.pid}, user ${userInfo().username})`, ...(deps.processes ? { processes: deps.processes } : {}) };

  // what cannot be read is reported and passed over: the rest is still cleaned
  const ledgers = Ledger.list(deps.state.ledgers, (path, why) => log(`skipping ${path}: ${why}`));
  // namespaces of a ledger whose teardown failed are kept for the next clean: deleting one
  // would destroy what it still holds (a test NIC that could not be given back yet)
  const keep = new Set<string>();
  for (const ledger of ledgers) {
    const h = ledger.header;
    const what = h?.topology === RUN_LEDGER ? `the record of run ${h.tag}` : h ? `${h.topology} of run ${h.tag}` : undefined;
    log(`${verb('tearing down', 'would tear down')} ${h ? `${what} (pid ${h.pid}: ${h.command})` : ledger.path}`);
    try {
      await teardown(ledger, { ...tdDeps, dryRun: deps.dryRun, log: (l) => log(`  ${l}`) });
    } catch (err) {
      errors.push(errorMessage(err));
      for (const e of ledger.entries) if (e.kind === 'netns') keep.add(e.name);
    }
  }

  // orphans: scratch dirs and namespaces carrying a run tag that no ledger accounted for
  let runDirs: string[] = [];
  try {
    runDirs = readdirSync(deps.state.runs);
  } catch {
    // nothing was ever run
  }
  for (const d of runDirs) {
    const dir = join(deps.state.runs, d);
    const tag = d.split('-')[0] ?? '';
    if (await runTagLive(tag)) {
      log(`leaving ${dir} alone: run ${tag} is still live`);
      continue;
    }
    log(`${verb('removing', 'would remove')} orphan scratch dir ${dir} (stopping its Open vSwitch and Docker daemons, if any)`);
    if (deps.dryRun) continue;
    await stopOvs(join(dir, 'ovs'), deps.processes);
    // a dockerd whose ledger is lost: its cgroup parent is named by the run tag (docs/architecture.md)
    for (const p of await stopDocker({ dir: join(dir, 'docker'), cgroupParent: dockerCgroupParent(tag), created: [] }, deps.runner, deps.processes)) errors.push(p);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const name of await listOurNetns(deps.runner)) {
    const tag = tagOfNetns(name) ?? '';
    if (keep.has(name)) {
      log(`leaving namespace ${name} alone: its run's ledger could not be torn down (see the errors); run 'bench clean' again once that is fixed`);
      continue;
    }
    if (await runTagLive(tag)) {
      log(`leaving namespace ${name} alone: run ${tag} is still live (its state is kept elsewhere)`);
      continue;
    }
    log(`${verb('deleting', 'would delete')} orphan namespace ${name} and the processes inside it`);
    if (deps.dryRun) continue;
    try {
      await undoEntry({ kind: 'netns', name }, tdDeps);
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  return { actions, errors };
}
