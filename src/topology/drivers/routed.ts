/**
 * The routed styles: ptp (a veth per container and /32 routes, no bridge, as CNI's ptp
 * plugin makes it) and vxlan (an overlay between hostA and the peer, as Flannel's vxlan
 * backend makes it). Both put the containers on a network of their own behind hostA.
 */
import { hostAddress, intToIp, size } from '../cidr.js';
import type { TopologySpec } from '../spec.js';
import type { BuildContext } from '../context.js';
import { type Driver, type Endpoint, type LanBase, vethContainers } from './types.js';

/** The peer reaches the containers' network through hostA, as a routed cluster's nodes do. */
export async function routeViaHostA(ctx: BuildContext, spec: TopologySpec, lan: LanBase): Promise<void> {
  await ctx.sysctl(lan.hostA, 'net.ipv4.ip_forward', '1');
  await ctx.ip(lan.peerNs, 'route', 'add', spec.private!.cidr.text, 'via', spec.lan.hostA);
}

export const ptpDriver: Driver = {
  summary: 'point-to-point veth per container with /32 routes through hostA (no bridge)',
  needs: [],
  hairpin: () => false,
  async build(ctx, spec, lan) {
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    const containers: Endpoint[] = [];
    for (const c of spec.containers) {
      const ns = await ctx.addNetns(c.name);
      const [hostIf, cIf] = await ctx.addVeth({ netns: lan.hostA, role: `${c.name}h` }, { netns: ns, role: c.name }, spec.containerMtu);
      containers.push(await routedContainer(ctx, spec, lan, ns, hostIf, cIf, c.address));
    }
    await routeViaHostA(ctx, spec, lan);
    return { hostAIf: lan.uplink, containers, caveats: [] };
  },
};

/** ptp's addressing of one container's pair: the gateway /32 on hostA's end, the container's /32 and its routes. */
export async function routedContainer(ctx: BuildContext, spec: TopologySpec, lan: LanBase, ns: string, hostIf: string, cIf: string, address: string): Promise<Endpoint> {
  const gw = spec.private!.gateway;
  await ctx.address(lan.hostA, hostIf, gw, 32);
  await ctx.up(lan.hostA, hostIf);
  await ctx.ip(lan.hostA, 'route', 'add', `${address}/32`, 'dev', hostIf, 'src', gw);
  await ctx.address(ns, cIf, address, 32);
  await ctx.up(ns, cIf);
  await ctx.ip(ns, 'route', 'add', `${gw}/32`, 'dev', cIf, 'scope', 'link');
  await ctx.ip(ns, 'route', 'add', 'default', 'via', gw, 'dev', cIf);
  return { netns: ns, address, ifname: cIf };
}

/** VXLAN's own header costs: outer Ethernet is the LAN's; IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;
export const VXLAN_ID = 1;
export const VXLAN_PORT = 4789;

/** The overlay's address plan: hostA's half of `private` and the peer's half, each with its VTEP's address. */
export function vxlanPlan(spec: TopologySpec) {
  const priv = spec.private!.cidr;
  const half = size(priv) / 2;
  return {
    prefix: priv.prefix + 1,
    hostAHalf: `${intToIp(priv.network)}/${priv.prefix + 1}`,
    peerHalf: `${intToIp(priv.network + half)}/${priv.prefix + 1}`,
    /** the VTEPs' own addresses: each half's first address, as Flannel gives flannel.1 */
    hostAVtep: intToIp(priv.network),
    peerVtep: intToIp(priv.network + half),
    gateway: hostAddress(priv, 1),
    // locally administered, fixed: the FDB and neighbour entries name them before the devices exist
    hostAMac: '02:6e:62:00:00:01',
    peerMac: '02:6e:62:00:00:02',
    mtu: spec.lan.mtu - VXLAN_OVERHEAD,
  };
}

/** A VTEP with learning off; where the other end is lives in static FDB and neighbour entries. */
async function vtep(ctx: BuildContext, ns: string, role: string, dev: string, local: string, mac: string, mtu: number): Promise<string> {
  const name = ctx.naming.ifname(role);
  ctx.record({ kind: 'link', netns: ns, name });
  await ctx.ip(ns, 'link', 'add', name, 'address', mac, 'mtu', String(mtu), 'type', 'vxlan', 'id', String(VXLAN_ID), 'local', local, 'dev', dev, 'dstport', String(VXLAN_PORT), 'nolearning');
  ctx.interfaces.push({ netns: ns, name, role });
  return name;
}

/** Flannel's three entries for a remote node: a route to its half, its VTEP's MAC, and where that MAC lives. */
async function remoteNode(ctx: BuildContext, ns: string, vx: string, half: string, remoteVtep: string, remoteMac: string, remoteLan: string): Promise<void> {
  await ctx.ip(ns, 'route', 'add', half, 'via', remoteVtep, 'dev', vx, 'onlink');
  await ctx.ip(ns, 'neigh', 'add', remoteVtep, 'lladdr', remoteMac, 'dev', vx, 'nud', 'permanent');
  // run in the namespace (not `bridge -n`): on a real-host run the peer's namespace is on the peer machine
  await ctx.exec(ns, 'bridge', ['fdb', 'append', remoteMac, 'dev', vx, 'dst', remoteLan, 'self', 'permanent']);
}

export const vxlanDriver: Driver = {
  summary: 'VXLAN overlay between hostA and the peer (Flannel-style static FDB); containers on a bridge in hostA',
  needs: ['bridge'],
  hairpin: () => false,
  async build(ctx, spec, lan) {
    const p = vxlanPlan(spec);
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    const vxA = await vtep(ctx, lan.hostA, 'vx', lan.uplink, spec.lan.hostA, p.hostAMac, p.mtu);
    const vxP = await vtep(ctx, lan.peerNs, 'pvx', lan.peerIf, spec.lan.peer, p.peerMac, p.mtu);
    await ctx.address(lan.hostA, vxA, p.hostAVtep, 32);
    await ctx.address(lan.peerNs, vxP, p.peerVtep, 32);
    await ctx.up(lan.hostA, vxA);
    await ctx.up(lan.peerNs, vxP);
    await remoteNode(ctx, lan.hostA, vxA, p.peerHalf, p.peerVtep, p.peerMac, spec.lan.peer);
    await remoteNode(ctx, lan.peerNs, vxP, p.hostAHalf, p.hostAVtep, p.hostAMac, spec.lan.hostA);
    const br = await ctx.addBridge(lan.hostA, 'obr');
    await ctx.ip(lan.hostA, 'link', 'set', br, 'mtu', String(Math.min(p.mtu, spec.containerMtu)));
    await ctx.up(lan.hostA, br);
    await ctx.address(lan.hostA, br, p.gateway, p.prefix);
    const overlay = { ...spec, containerMtu: Math.min(p.mtu, spec.containerMtu) };
    const containers = await vethContainers(ctx, overlay, lan, p.prefix, (hostIf) => ctx.enslave(lan.hostA, hostIf, br));
    for (const c of containers) await ctx.ip(c.netns, 'route', 'add', 'default', 'via', p.gateway);
    await ctx.sysctl(lan.hostA, 'net.ipv4.ip_forward', '1');
    return {
      hostAIf: lan.uplink,
      containers,
      peer: { netns: lan.peerNs, address: p.peerVtep, ifname: vxP },
      caveats: [`vxlan: ${VXLAN_OVERHEAD} bytes of every frame go to the tunnel's headers; the containers' MTU is ${overlay.containerMtu} on a ${spec.lan.mtu}-byte LAN`],
    };
  },
};

