/**
 * Topology files: strict schema (ajv) for shape, then the semantic rules a schema cannot
 * say (addresses in the benchmarking range, no overlaps, MTU within the parent's,
 * passthru's single child). The result is a resolved, read-only spec.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { NetbenchError, errnoCode, errorMessage } from '../errors.js';
import { TOOL_PUBLISHED } from '../workloads/ports.js';
import { TOPOLOGY_DIR } from '../locations.js';
import { BENCHMARK_RANGE, type Cidr, contains, hostAddress, overlaps, parseCidr, size } from './cidr.js';

/** The styles (a topology's `driver`): what the network is, whichever builder makes it. */
export const DRIVERS = ['host', 'nat', 'bridge', 'ovs', 'macvlan', 'ipvlan', 'ptp', 'vxlan', 'ebpf'] as const;
export type DriverName = (typeof DRIVERS)[number];
export const MACVLAN_MODES = ['bridge', 'vepa', 'private', 'passthru'] as const;
export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;
/** ebpf: the containers' pairs are veths (the default) or netkit devices */
export const EBPF_MODES = ['veth', 'netkit'] as const;
export type EbpfMode = (typeof EBPF_MODES)[number];
export type MacvlanMode = (typeof MACVLAN_MODES)[number];
export type IpvlanMode = (typeof IPVLAN_MODES)[number];
/** Who makes the style: the suite's own iproute2 drivers, Docker's daemon, or CNI plugins. */
export const BUILDERS = ['iproute2', 'docker', 'cni'] as const;
export type BuilderName = (typeof BUILDERS)[number];
/** docker nat only: Docker's default bridge (docker0) or a user-defined bridge network, and the userland proxy */
export interface DockerOptions {
  readonly network: 'default' | 'user';
  readonly userlandProxy: boolean;
}
/** the drivers whose containers sit on a network of their own behind hostA (`private`) */
const PRIVATE_NET_DRIVERS: readonly DriverName[] = ['nat', 'ptp', 'vxlan', 'ebpf'];
export const DATAPATHS = ['auto', 'system', 'netdev'] as const;
export type Datapath = (typeof DATAPATHS)[number];

export interface PublishedPort {
  readonly proto: 'tcp' | 'udp';
  readonly port: number;
  readonly containerPort: number;
  readonly container: string;
}

export interface ContainerSpec {
  readonly name: string;
  readonly address: string; // on the LAN (bridge, ovs, macvlan) or the private network (nat)
}

export interface TopologySpec {
  readonly name: string;
  readonly description: string;
  readonly driver: DriverName;
  readonly mode?: MacvlanMode | IpvlanMode | EbpfMode;
  readonly builder: BuilderName;
  readonly docker?: DockerOptions;
  readonly source: string; // file it came from
  readonly lan: { readonly cidr: Cidr; readonly prefix: number; readonly mtu: number; readonly hostA: string; readonly peer: string };
  readonly containers: readonly ContainerSpec[];
  readonly containerMtu: number;
  readonly private?: { readonly cidr: Cidr; readonly gateway: string };
  readonly publish: readonly PublishedPort[];
  readonly datapath: Datapath;
}

const FIRST_CONTAINER_HOST = 11;

/** A topology file's JSON as the schema guarantees it. */
interface RawTopology {
  name: string;
  description?: string;
  driver: DriverName;
  mode?: MacvlanMode | IpvlanMode | EbpfMode;
  builder?: BuilderName;
  docker?: { network?: 'default' | 'user'; userlandProxy?: boolean };
  lan: { cidr: string; mtu?: number };
  containers: { count: number; names?: string[]; mtu?: number };
  private?: { cidr: string };
  publish?: { proto: 'tcp' | 'udp'; port: number; containerPort?: number; container?: string }[];
  datapath?: Datapath;
}

/** Topology files are small; anything bigger is not one (and is not read whole). */
export const MAX_TOPOLOGY_BYTES = 64 * 1024;

let ajvValidate: ValidateFunction<RawTopology> | undefined;
function validator(): ValidateFunction<RawTopology> {
  if (!ajvValidate) {
    const schema: unknown = JSON.parse(readFileSync(join(TOPOLOGY_DIR, 'topology.schema.json'), 'utf8'));
    if (typeof schema !== 'object' || schema === null) throw new NetbenchError('IO', 'topologies/topology.schema.json is not a JSON object');
    ajvValidate = new Ajv({ allErrors: true, strict: false, strictNumbers: true, verbose: true }).compile<RawTopology>(schema);
  }
  return ajvValidate;
}

function describeAjvError(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'top level' : e.instancePath.slice(1).replace(/\//g, '.');
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).filter((k) => k !== '$schema');
      return `unknown key '${key}' at ${where} (valid keys: ${allowed.join(', ')})`;
    }
    case 'enum':
      return `${where} is ${JSON.stringify(e.data)}; valid values: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'required':
      return `missing key '${(e.params as { missingProperty: string }).missingProperty}' at ${where}`;
    case 'maxLength':
      return `${where} '${String(e.data)}' is ${String(e.data).length} characters; at most ${(e.params as { limit: number }).limit} allowed`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function invalid(source: string, problems: string[]): NetbenchError {
  return new NetbenchError('INVALID_TOPOLOGY', `topology ${source}: ${problems.join('; ')}`, { details: { problems } });
}

function cidrIn(source: string, field: string, text: string, problems: string[]): Cidr | undefined {
  const c = parseCidr(text);
  if (!c) {
    problems.push(`${field} '${text}' is not a valid IPv4 network in CIDR form (e.g. 198.18.0.0/24, host bits zero)`);
    return undefined;
  }
  if (!contains(BENCHMARK_RANGE, c)) {
    problems.push(`${field} ${text} is outside ${BENCHMARK_RANGE.text}, the benchmarking range the suite is confined to`);
    return undefined;
  }
  return c;
}

/** Which keys and counts each driver allows. */
function driverRules(r: RawTopology, problems: string[]): void {
  const modes: Partial<Record<DriverName, readonly string[]>> = { macvlan: MACVLAN_MODES, ipvlan: IPVLAN_MODES, ebpf: EBPF_MODES };
  const allowed = modes[r.driver];
  // ebpf's mode may be left out: veth pairs
  if (allowed && r.mode === undefined && r.driver !== 'ebpf') problems.push(`driver ${r.driver} needs a mode (valid modes: ${allowed.join(', ')})`);
  if (allowed && r.mode !== undefined && !allowed.includes(r.mode)) problems.push(`${r.driver} mode '${r.mode}' is not one of ${allowed.join(', ')}`);
  if (!allowed && r.mode !== undefined) problems.push(`'mode' applies to the macvlan, ipvlan and ebpf drivers only, not ${r.driver}`);
  const priv = PRIVATE_NET_DRIVERS.includes(r.driver);
  if (!priv && r.private !== undefined) problems.push(`'private' applies to the ${PRIVATE_NET_DRIVERS.join(', ')} drivers only`);
  if (r.driver !== 'nat' && r.publish !== undefined) problems.push(`'publish' applies to the nat driver only`);
  if (priv && r.private === undefined) problems.push(`driver ${r.driver} needs 'private' (the containers' network, e.g. {"cidr": "198.19.0.0/24"})`);
  if (r.driver !== 'ovs' && r.datapath !== undefined) problems.push(`'datapath' applies to the ovs driver only`);
  if (r.docker !== undefined && (r.builder !== 'docker' || r.driver !== 'nat')) problems.push(`'docker' applies to the nat driver built by the docker builder only`);
  if (r.driver === 'host' && r.containers.count !== 0) problems.push(`driver host has no containers (containers.count must be 0)`);
  if (r.driver !== 'host' && r.containers.count < 1) problems.push(`driver ${r.driver} needs at least one container`);
  if (r.driver === 'macvlan' && r.mode === 'passthru' && r.containers.count > 1) {
    problems.push(`macvlan passthru allows one child per parent: containers.count is ${r.containers.count}, must be 1 (the uplink belongs to that one container)`);
  }
}

/** nat's extra published ports: each to a known container, none twice, none on a port the suite itself publishes. */
function resolvePublish(r: RawTopology, names: readonly string[], problems: string[]): PublishedPort[] {
  const publish: PublishedPort[] = [];
  const tool = new Set(TOOL_PUBLISHED.map((t) => `${t.proto}/${t.port}`));
  const seen = new Set<string>();
  for (const p of r.publish ?? []) {
    const container = p.container ?? names[0] ?? '';
    if (!names.includes(container)) problems.push(`publish: container '${container}' is not one of ${names.join(', ')}`);
    const key = `${p.proto}/${p.port}`;
    if (tool.has(key)) problems.push(`publish: ${key} is one of the suite's own tool ports, which are always published to the first container`);
    else if (seen.has(key)) problems.push(`publish: ${key} is published twice`);
    seen.add(key);
    publish.push({ proto: p.proto, port: p.port, containerPort: p.containerPort ?? p.port, container });
  }
  return publish;
}

/** Validate raw JSON into a resolved spec, or throw one INVALID_TOPOLOGY error listing every problem. */
export function resolveTopology(raw: unknown, source: string): TopologySpec {
  const validate = validator();
  if (!validate(raw)) {
    throw invalid(source, (validate.errors ?? []).map(describeAjvError));
  }
  const r = raw;
  const problems: string[] = [];
  driverRules(r, problems);
  const lanMtu = r.lan.mtu ?? 1500;
  const containerMtu = r.containers.mtu ?? lanMtu;
  if (containerMtu > lanMtu) problems.push(`containers.mtu ${containerMtu} is above the parent's (lan.mtu ${lanMtu})`);

  const names = r.containers.names ?? Array.from({ length: r.containers.count }, (_, i) => `c${i + 1}`);
  if (names.length !== r.containers.count) problems.push(`containers.names has ${names.length} names for ${r.containers.count} containers`);
  if (new Set(names).size !== names.length) problems.push(`containers.names has duplicates`);
  const reserved = ['hostA', 'switch', 'peer'];
  for (const n of names) if (reserved.includes(n)) problems.push(`container name '${n}' is reserved`);

  const lan = cidrIn(source, 'lan.cidr', r.lan.cidr, problems);
  const priv = r.private ? cidrIn(source, 'private.cidr', r.private.cidr, problems) : undefined;
  if (lan && priv && overlaps(lan, priv)) problems.push(`lan.cidr ${lan.text} and private.cidr ${priv.text} overlap`);
  const containerNet = PRIVATE_NET_DRIVERS.includes(r.driver) ? priv : lan;
  if (containerNet && size(containerNet) - 2 < FIRST_CONTAINER_HOST + names.length - 1) {
    problems.push(`${containerNet.text} is too small for ${names.length} containers (they start at host ${FIRST_CONTAINER_HOST}); use /27 or larger`);
  }
  if (lan && size(lan) < 8) problems.push(`lan.cidr ${lan.text} is too small; use /29 or larger`);

  const publish = resolvePublish(r, names, problems);
  if (r.driver === 'vxlan' && priv && priv.prefix > 24) problems.push(`vxlan splits private.cidr ${priv.text} in two (hostA's half, the peer's half): use /24 or larger`);
  if (problems.length > 0 || !lan || (PRIVATE_NET_DRIVERS.includes(r.driver) && !priv)) throw invalid(source, problems);

  const containers = names.map((name, i) => ({
    name,
    address: hostAddress(containerNet!, FIRST_CONTAINER_HOST + i),
  }));
  return Object.freeze({
    name: r.name,
    description: r.description ?? '',
    driver: r.driver,
    ...(r.mode !== undefined ? { mode: r.mode } : {}),
    builder: r.builder ?? 'iproute2',
    ...(r.docker !== undefined ? { docker: { network: r.docker.network ?? 'default', userlandProxy: r.docker.userlandProxy ?? true } } : {}),
    source,
    lan: { cidr: lan, prefix: lan.prefix, mtu: lanMtu, hostA: hostAddress(lan, 1), peer: hostAddress(lan, 2) },
    containers,
    containerMtu,
    ...(priv ? { private: { cidr: priv, gateway: hostAddress(priv, 1) } } : {}),
    publish,
    datapath: r.datapath ?? 'auto',
  });
}

/** Where JSON.parse stopped, as line and column; never the file's text (it may be any file on the machine). */
function jsonErrorPlace(text: string, err: unknown): string {
  const pos = /position (\d+)/.exec(errorMessage(err))?.[1];
  if (pos === undefined) return '';
  const before = text.slice(0, Number(pos));
  return ` at line ${before.split('\n').length}, column ${Number(pos) - before.lastIndexOf('\n')}`;
}

export function loadTopologyFile(path: string): TopologySpec {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new NetbenchError('USAGE', `topology file ${path} is not a regular file`);
    if (st.size > MAX_TOPOLOGY_BYTES) throw new NetbenchError('USAGE', `topology file ${path} is ${st.size} bytes; a topology file is at most ${MAX_TOPOLOGY_BYTES / 1024} KiB`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof NetbenchError) throw err;
    throw new NetbenchError('USAGE', `cannot read topology file ${path}: ${errnoCode(err) ?? errorMessage(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(path, [`not a topology file: not valid JSON${jsonErrorPlace(text, err)}`]);
  }
  return resolveTopology(raw, path);
}
