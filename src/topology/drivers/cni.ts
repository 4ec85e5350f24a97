/**
 * The cni builder: CNI plugins invoked directly, as a container runtime invokes them. Each
 * container's namespace is the suite's own; the plugin runs in hostA's namespace (where
 * its master or bridge lives) with the CNI environment variables and the network
 * configuration on stdin. Addresses come from the `static` IPAM plugin, so that every
 * container has the address the topology file gives it, whichever builder made it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError } from '../../errors.js';
import { describeFailure, succeeded } from '../../exec/runner.js';
import type { BuildContext } from '../context.js';
import type { TopologySpec } from '../spec.js';
import { publishedPorts } from './nat.js';
import { type Driver, type Endpoint, type LanBase } from './types.js';
import { macvlanDriver } from './macvlan.js';
import { type CniCall, cniEnv } from '../../lab/cni.js';

export const CNI_VERSION = '1.0.0';
/** Where Debian's containernetworking-plugins put the plugins (NETBENCH_CNI_PATH overrides). */
export function cniPath(): string {
  return process.env['NETBENCH_CNI_PATH'] ?? ['/usr/lib/cni', '/opt/cni/bin'].find((d) => existsSync(join(d, 'bridge'))) ?? '/usr/lib/cni';
}

interface CniResult {
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
}

/** ADD one plugin of a container's chain; the ledger gets its DEL first. */
async function cniAdd(ctx: BuildContext, call: CniCall): Promise<CniResult> {
  const path = cniPath();
  ctx.record({ kind: 'cni', ...call, path });
  const r = await ctx.runner.run({ program: join(path, call.plugin), args: [], netns: call.netns, env: cniEnv(call, 'ADD', path), input: call.config, timeoutMs: 20_000 });
  if (!succeeded(r)) {
    const msg = /"msg":\s*"([^"]*)"/.exec(r.stdout)?.[1];
    throw new NetbenchError('BUILD_FAILED', `CNI plugin ${call.plugin} ADD for ${call.containerNs}: ${msg ?? describeFailure(r)}`);
  }
  try {
    return JSON.parse(r.stdout) as CniResult;
  } catch {
    throw new NetbenchError('BUILD_FAILED', `CNI plugin ${call.plugin} ADD for ${call.containerNs} printed no result: ${r.stdout.slice(0, 200)}`);
  }
}

type Plugin = Record<string, unknown> & { type: string };

/** Run a container's plugin chain, each plugin given the one before's result, as a runtime runs a conflist. */
async function attach(ctx: BuildContext, spec: TopologySpec, lan: LanBase, containerNs: string, ifname: string, chain: readonly Plugin[]): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (const p of chain) {
    const config = JSON.stringify({ cniVersion: CNI_VERSION, name: `nb-${ctx.naming.tag}-${spec.name}`, ...p, ...(prev ? { prevResult: prev } : {}) });
    const out = await cniAdd(ctx, { netns: lan.hostA, plugin: p.type, containerNs, ifname, config });
    prev = { ...prev, ...out };
  }
  return prev ?? {};
}

function staticIpam(address: string, prefix: number, gateway?: string): Record<string, unknown> {
  return { type: 'static', addresses: [{ address: `${address}/${prefix}`, ...(gateway ? { gateway } : {}) }], ...(gateway ? { routes: [{ dst: '0.0.0.0/0' }] } : {}) };
}

/** The plugin chain each style uses for one container. */
export function cniChain(spec: TopologySpec, uplink: string, bridge: string, container: { name: string; address: string }, first: boolean): Plugin[] {
  const mtu = spec.containerMtu;
  switch (spec.driver) {
    case 'macvlan':
      return [{ type: 'macvlan', master: uplink, mode: spec.mode!, mtu, ipam: staticIpam(container.address, spec.lan.prefix) }];
    case 'bridge':
      return [{ type: 'bridge', bridge, isGateway: false, ipMasq: false, mtu, ipam: staticIpam(container.address, spec.lan.prefix) }];
    case 'ptp':
      return [{ type: 'ptp', ipMasq: false, mtu, ipam: staticIpam(container.address, spec.private!.cidr.prefix, spec.private!.gateway) }];
    case 'nat': {
      const priv = spec.private!;
      const ports = first
        ? publishedPorts(spec).map((p) => ({ hostPort: p.port, containerPort: p.containerPort, protocol: p.proto, hostIP: spec.lan.hostA }))
        : [];
      return [
        { type: 'bridge', bridge, isGateway: true, ipMasq: true, mtu, ipam: staticIpam(container.address, priv.cidr.prefix, priv.gateway) },
        ...(ports.length > 0 ? [{ type: 'portmap', capabilities: { portMappings: true }, runtimeConfig: { portMappings: ports } }] : []),
      ];
    }
    default:
      throw new NetbenchError('UNSUPPORTED', `the cni builder makes no ${spec.driver}`);
  }
}

/** The host end of a container's veth, found by the ifindex its container end points at. */
export async function hostEnd(ctx: BuildContext, hostA: string, containerNs: string, ifname: string): Promise<string | undefined> {
  const c = await ctx.ip(containerNs, '-j', 'link', 'show', ifname);
  const peerIndex = (JSON.parse(c.stdout) as { link_index?: number }[])[0]?.link_index;
  if (peerIndex === undefined) return undefined;
  const h = await ctx.ip(hostA, '-j', 'link', 'show');
  return (JSON.parse(h.stdout) as { ifindex: number; ifname: string }[]).find((l) => l.ifindex === peerIndex)?.ifname;
}

export const cniDriver: Driver = {
  summary: 'CNI plugins invoked directly (bridge, macvlan, ptp, portmap) on namespaces the suite makes',
  // the bridge plugin's ipMasq and portmap write iptables rules (in hostA's namespace)
  needs: ['iptables'],
  hairpin: (spec) => macvlanDriver.hairpin(spec),
  async build(ctx, spec, lan) {
    if (spec.driver !== 'bridge') await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    let bridge = '';
    let hostAIf = lan.uplink;
    if (spec.driver === 'bridge' || spec.driver === 'nat') {
      // the bridge plugin makes the bridge if it is missing; ours is named (and recorded) first
      bridge = ctx.naming.ifname('dbr');
      ctx.record({ kind: 'link', netns: lan.hostA, name: bridge });
      ctx.interfaces.push({ netns: lan.hostA, name: bridge, role: 'dbr' });
    }
    if (spec.driver === 'bridge') {
      // a runtime's bridge onto the LAN: the administrator's bridge holds the uplink and hostA's address
      await ctx.ip(lan.hostA, 'link', 'add', bridge, 'mtu', String(spec.lan.mtu), 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
      await ctx.enslave(lan.hostA, lan.uplink, bridge);
      await ctx.up(lan.hostA, bridge);
      await ctx.address(lan.hostA, bridge, spec.lan.hostA, spec.lan.prefix);
      hostAIf = bridge;
    }
    const containers: Endpoint[] = [];
    for (const [i, c] of spec.containers.entries()) {
      const ns = await ctx.addNetns(c.name);
      const ifname = ctx.naming.ifname(c.name);
      await attach(ctx, spec, lan, ns, ifname, cniChain(spec, lan.uplink, bridge, c, i === 0));
      ctx.interfaces.push({ netns: ns, name: ifname, role: c.name, address: c.address });
      if (spec.driver !== 'macvlan') {
        const h = await hostEnd(ctx, lan.hostA, ns, ifname);
        if (h) ctx.interfaces.push({ netns: lan.hostA, name: h, role: `${c.name}h` });
      }
      containers.push({ netns: ns, address: c.address, ifname });
    }
    if (spec.driver === 'ptp') await ctx.ip(lan.peerNs, 'route', 'add', spec.private!.cidr.text, 'via', spec.lan.hostA);
    const caveats = spec.driver === 'macvlan' && spec.mode === 'passthru' ? ['macvlan passthru: the child owns the uplink; hostA loses its own use of it'] : [];
    return { hostAIf, containers, caveats };
  },
};
