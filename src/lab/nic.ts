/**
 * The dedicated test NICs of a real-host run: checked before anything is touched, moved
 * into the suite's namespace, and given back. A NIC that carries anything (an address,
 * a route, the default route, the ssh connection, a master or a device stacked on it)
 * is refused with the reason, on either machine. docs/architecture.md ("Real hosts").
 */
import { NetbenchError } from '../errors.js';
import { describeFailure, ensureOk, type Runner, succeeded } from '../exec/runner.js';
import { IFNAMSIZ } from './names.js';

export interface NicState {
  readonly name: string;
  readonly mtu: number;
  readonly up: boolean;
  readonly mac: string;
}

interface IpLink {
  ifname?: string;
  mtu?: number;
  flags?: string[];
  master?: string;
  link?: string;
  address?: string;
  operstate?: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddr {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[];
}
interface IpRoute {
  dst?: string;
  dev?: string;
  type?: string;
  nexthops?: { dev?: string }[];
}

function json<T>(text: string): T[] {
  try {
    const v: unknown = JSON.parse(text || '[]');
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

export function checkNicName(flag: string, name: string): void {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name) || name.startsWith('-') || name.length > IFNAMSIZ || name === '.' || name === '..') {
    throw new NetbenchError('USAGE', `${flag} '${name}' is not an interface name (at most ${IFNAMSIZ} letters, digits, '_', '.', ':' or '-')`);
  }
}

/** IPv6 link-local addresses and the routes the kernel keeps for them come with any NIC that is up: they carry nothing. */
const linkLocalRoute = (r: IpRoute) => (r.dst ?? '').startsWith('fe80') || r.dst === 'ff00::/8' || r.type === 'multicast';

/**
 * Why `nic` must not be used, as sentences (empty when it is safe), and its state to give
 * back. `sshDevice` is the interface the ssh connection between the machines uses, when known.
 */
export async function inspectNic(runner: Runner, nic: string, where: string, sshDevice?: string): Promise<{ state?: NicState; refusals: string[] }> {
  const refusals: string[] = [];
  const show = await runner.run({ program: 'ip', args: ['-j', '-d', 'link', 'show', 'dev', nic], timeoutMs: 10_000 });
  if (!succeeded(show)) {
    const why = /does not exist|Cannot find/i.test(show.stderr) ? 'there is no such interface' : describeFailure(show);
    return { refusals: [`${nic} on ${where}: ${why}`] };
  }
  const link = json<IpLink>(show.stdout)[0] ?? {};
  const state: NicState = { name: nic, mtu: link.mtu ?? 1500, up: (link.flags ?? []).includes('UP'), mac: link.address ?? '' };
  if ((link.flags ?? []).includes('LOOPBACK')) refusals.push(`${nic} on ${where} is the loopback interface`);
  if (link.master) refusals.push(`${nic} on ${where} is enslaved to ${link.master}`);
  const all = await runner.run({ program: 'ip', args: ['-j', '-d', 'link', 'show'], timeoutMs: 10_000 });
  // a veth's other end names it as its link too: that is a cable, not a device stacked on it
  const uppers = json<IpLink>(all.stdout).filter((l) => (l.link === nic && l.linkinfo?.info_kind !== 'veth') || l.master === nic).map((l) => l.ifname ?? '?');
  if (uppers.length) refusals.push(`${nic} on ${where} carries ${uppers.join(', ')} (stacked on it or enslaved to it)`);
  const addrs = await runner.run({ program: 'ip', args: ['-j', 'addr', 'show', 'dev', nic], timeoutMs: 10_000 });
  const used = (json<IpAddr>(addrs.stdout)[0]?.addr_info ?? []).filter((a) => !(a.family === 'inet6' && a.scope === 'link'));
  if (used.length) refusals.push(`${nic} on ${where} has addresses (${used.map((a) => `${a.local}/${a.prefixlen}`).join(', ')})`);
  const routes: IpRoute[] = [];
  for (const family of ['-4', '-6']) {
    const r = await runner.run({ program: 'ip', args: ['-j', family, 'route', 'show', 'table', 'all', 'dev', nic], timeoutMs: 10_000 });
    routes.push(...json<IpRoute>(r.stdout).filter((x) => !linkLocalRoute(x)));
  }
  if (routes.length) refusals.push(`${nic} on ${where} has routes (${routes.map((r) => `${r.type && r.type !== 'unicast' ? `${r.type} ` : ''}${r.dst ?? '?'}`).join(', ')})`);
  for (const family of ['-4', '-6']) {
    const r = await runner.run({ program: 'ip', args: ['-j', family, 'route', 'show', 'default'], timeoutMs: 10_000 });
    const devs = json<IpRoute>(r.stdout).flatMap((x) => [x.dev, ...(x.nexthops ?? []).map((n) => n.dev)]);
    if (devs.includes(nic)) refusals.push(`${nic} on ${where} is the device of the default route (${family === '-4' ? 'IPv4' : 'IPv6'})`);
  }
  if (sshDevice === nic) refusals.push(`${nic} on ${where} carries the ssh connection between the machines`);
  return { state, refusals };
}

/** The device a connection to `address` leaves by (`ip route get`), or undefined. */
export async function deviceTowards(runner: Runner, address: string): Promise<string | undefined> {
  if (!/^[0-9a-fA-F.:]+$/.test(address)) return undefined;
  const r = await runner.run({ program: 'ip', args: ['-j', 'route', 'get', address], timeoutMs: 10_000 });
  return json<IpRoute>(r.stdout)[0]?.dev;
}

/**
 * The ssh connection's two ends as the remote sees them (SSH_CONNECTION: client address,
 * port, server address, port), and the device each machine uses for it. Through a
 * ProxyCommand there is no such connection ("UNKNOWN").
 */
export async function sshDevices(local: Runner, remote: Runner): Promise<{ local?: string; remote?: string }> {
  const r = await remote.run({ program: 'sh', args: ['-c', 'echo "$SSH_CONNECTION"'], timeoutMs: 15_000 });
  const [client, , server] = r.stdout.trim().split(/\s+/);
  const out: { local?: string; remote?: string } = {};
  const l = server ? await deviceTowards(local, server) : undefined;
  const rd = client ? await deviceTowards(remote, client) : undefined;
  if (l) out.local = l;
  if (rd) out.remote = rd;
  return out;
}

/** Move a NIC into a namespace (the caller has written the ledger's `nic` entry first). */
export async function moveNicInto(runner: Runner, nic: string, netns: string): Promise<void> {
  const r = await runner.run({ program: 'ip', args: ['link', 'set', 'dev', nic, 'netns', netns], timeoutMs: 10_000 });
  if (!succeeded(r)) throw new NetbenchError('COMMAND_FAILED', `could not move ${nic} into ${netns} (a device that cannot change namespace, such as a bridge, cannot be the test NIC): ${describeFailure(r)}`);
}

/**
 * Give a NIC back: out of `netns` into the namespace of the shell that runs the command
 * (the machine's own namespace, on either side), then its MTU and up/down state as they
 * were. Idempotent: a NIC already back (a deleted namespace returns a physical NIC to the
 * root namespace by itself) only gets its state restored.
 */
export async function giveNicBack(runner: Runner, e: { netns: string; name: string; mtu: number; up: boolean }): Promise<void> {
  const move = await runner.run({ program: 'sh', args: ['-c', 'ip -n "$1" link set dev "$2" netns $$', 'sh', e.netns, e.name], timeoutMs: 10_000 });
  const here = await runner.run({ program: 'ip', args: ['link', 'show', 'dev', e.name], timeoutMs: 10_000 });
  if (!succeeded(here)) {
    throw new NetbenchError('COMMAND_FAILED', `test NIC ${e.name} is not back in the machine's namespace: ${succeeded(move) ? 'it moved but cannot be seen' : describeFailure(move)}`);
  }
  ensureOk(await runner.run({ program: 'ip', args: ['link', 'set', 'dev', e.name, 'mtu', String(e.mtu), e.up ? 'up' : 'down'], timeoutMs: 10_000 }));
}
