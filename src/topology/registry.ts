/** The built-in topologies are the files under topologies/; a path loads a user's copy. */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { TOPOLOGY_DIR } from '../locations.js';
import { loadTopologyFile, type TopologySpec } from './spec.js';

/** Order matters: reports and `--all` follow it, host first. */
export const TOPOLOGY_NAMES = ['host', 'nat', 'bridge', 'ovs', 'macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru'] as const;

export function isBuiltinName(name: string): boolean {
  return TOPOLOGY_NAMES.some((n) => n === name);
}

export function builtinTopologies(): TopologySpec[] {
  const files = new Set(readdirSync(TOPOLOGY_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')));
  return TOPOLOGY_NAMES.filter((n) => files.has(`${n}.json`)).map((n) => loadTopologyFile(join(TOPOLOGY_DIR, `${n}.json`)));
}

/** A built-in name, or a path to a topology file. */
export function resolveTopologyArg(arg: string): TopologySpec {
  if (arg.endsWith('.json') || arg.includes('/')) {
    if (!existsSync(arg)) throw usageError(`topology file ${arg} does not exist`);
    const spec = loadTopologyFile(arg);
    const builtin = join(TOPOLOGY_DIR, `${spec.name}.json`);
    // namespaces, ledgers and reports are keyed by name: a copy must not pass for a built-in
    if (isBuiltinName(spec.name) && realpathSync(arg) !== realpathSync(builtin)) {
      throw usageError(`topology file ${arg} is named '${spec.name}', a built-in topology's name; give the copy a name of its own`);
    }
    return spec;
  }
  if (!isBuiltinName(arg)) {
    throw usageError(`unknown topology '${arg}'; valid topologies: ${TOPOLOGY_NAMES.join(', ')} (or a path to a topology file)`);
  }
  return loadTopologyFile(join(TOPOLOGY_DIR, `${arg}.json`));
}

/** "all", a comma list, or a single name/path. */
export function resolveTopologyList(arg: string): TopologySpec[] {
  if (arg === 'all') return builtinTopologies();
  const specs = arg.split(',').map((s) => s.trim()).filter(Boolean).map(resolveTopologyArg);
  if (specs.length === 0) throw usageError('no topology named');
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw usageError(`topology '${dup}' named twice`);
  return specs;
}
