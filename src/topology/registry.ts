/** The built-in topologies are the files under topologies/; a path loads a user's copy. */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError, usageError } from '../errors.js';
import { TOPOLOGY_DIR } from '../locations.js';
import { BUILDER_REGISTRY } from './builders.js';
import { BUILDERS, type BuilderName, loadTopologyFile, type TopologySpec } from './spec.js';

/** Order matters: reports and `--all` follow it, host first. */
export const TOPOLOGY_NAMES = ['host', 'nat', 'bridge', 'ovs', 'ebpf', 'macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru'] as const;
/** Built in, named one by one or picked by --builder; `all` (the main job) leaves them out. */
export const MORE_TOPOLOGY_NAMES = [
  'ptp',
  'vxlan',
  'ebpf-netkit',
  'ipvlan-l2',
  'ipvlan-l3',
  'ipvlan-l3s',
  'docker-nat',
  'docker-nat-noproxy',
  'docker-bridge',
  'docker-macvlan-bridge',
  'docker-macvlan-vepa',
  'docker-macvlan-private',
  'docker-macvlan-passthru',
  'cni-nat',
  'cni-bridge',
  'cni-ptp',
  'cni-macvlan-bridge',
  'cni-macvlan-vepa',
  'cni-macvlan-private',
  'cni-macvlan-passthru',
] as const;
const EVERY_NAME: readonly string[] = [...TOPOLOGY_NAMES, ...MORE_TOPOLOGY_NAMES];

export function isBuiltinName(name: string): boolean {
  return EVERY_NAME.includes(name);
}

function loadBuiltins(names: readonly string[]): TopologySpec[] {
  const files = new Set(readdirSync(TOPOLOGY_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')));
  return names.filter((n) => files.has(`${n}.json`)).map((n) => loadTopologyFile(join(TOPOLOGY_DIR, `${n}.json`)));
}

/** The main job's topologies: `all`. */
export function builtinTopologies(): TopologySpec[] {
  return loadBuiltins(TOPOLOGY_NAMES);
}

/** Every built-in topology, whoever builds it. */
export function everyBuiltinTopology(): TopologySpec[] {
  return loadBuiltins(EVERY_NAME);
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

/** `--builder docker,cni`: the builders, each known, none twice. */
export function parseBuilders(arg: string): BuilderName[] {
  const names = arg.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw usageError('--builder names no builder');
  for (const n of names) if (!BUILDERS.some((b) => b === n)) throw usageError(`unknown builder '${n}'; valid builders: ${BUILDERS.join(', ')}`);
  return [...new Set(names)] as BuilderName[];
}

/**
 * A topology as the given builders make it: a built-in name becomes each builder's own
 * built-in of that style (`macvlan-bridge` with docker is `docker-macvlan-bridge`); a style a
 * builder does not make is refused with the builder's reason. host is every builder's baseline.
 */
function withBuilders(spec: TopologySpec, builders: readonly BuilderName[]): TopologySpec[] {
  if (spec.driver === 'host') return [spec];
  const style = spec.name.replace(/^(docker|cni)-/, '');
  const out: TopologySpec[] = [];
  const refusals: string[] = [];
  for (const b of builders) {
    const name = b === 'iproute2' ? style : `${b}-${style}`;
    if (b === spec.builder) out.push(spec);
    else if (isBuiltinName(spec.name) && isBuiltinName(name)) out.push(resolveTopologyArg(name));
    else refusals.push(`${b}: ${BUILDER_REGISTRY[b].refuses[spec.driver] ?? `no built-in topology '${name}'; write a topology file with "builder": "${b}"`}`);
  }
  if (out.length === 0) throw new NetbenchError('UNSUPPORTED', `${spec.name} is not made by ${builders.join(' or ')} (${refusals.join('; ')})`);
  return out;
}

/** "all" (alone or in a comma list), a comma list, or a single name/path; `builders` picks who makes them. */
export function resolveTopologyList(arg: string, builders?: readonly BuilderName[]): TopologySpec[] {
  const items = arg.split(',').map((s) => s.trim()).filter(Boolean);
  let specs = items.flatMap((i) => (i === 'all' ? (builders ? allOf(builders) : builtinTopologies()) : [resolveTopologyArg(i)]));
  if (builders) specs = specs.flatMap((s) => withBuilders(s, builders));
  if (specs.length === 0) throw usageError('no topology named');
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup && !(builders || items.includes('all'))) throw usageError(`topology '${dup}' named twice`);
  return specs.filter((s, i) => names.indexOf(s.name) === i);
}

/** `all` for the given builders: host, and every built-in each of them makes (iproute2: the main job's). */
function allOf(builders: readonly BuilderName[]): TopologySpec[] {
  const own = everyBuiltinTopology().filter((s) => s.builder !== 'iproute2' && builders.includes(s.builder));
  return [...(builders.includes('iproute2') ? builtinTopologies() : [resolveTopologyArg('host')]), ...own];
}
