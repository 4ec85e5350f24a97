import type { ToolName } from '../../tools.js';
import type { BuildContext } from '../context.js';
import type { TopologySpec } from '../spec.js';

export interface Endpoint {
  readonly netns: string;
  readonly address: string;
  readonly ifname: string;
}

/** The emulated switch of the lab (a real-host run has a real one, out of the suite's reach). */
export interface LabSwitch {
  readonly ns: string;
  readonly toHostA: string; // the switch port hostA plugs into
  readonly toPeer: string;
  readonly bridge: string;
}

/** The shared lab every topology stands in: hostA, the switch, the peer. */
export interface LanBase {
  readonly hostA: string;
  readonly peerNs: string;
  readonly uplink: string; // hostA's end of the cable to the switch (in a real-host run, the test NIC)
  readonly peerIf: string;
  /** absent in a real-host run */
  readonly switch?: LabSwitch;
  /** the peer machine (ssh destination) of a real-host run; absent in the lab, where the peer is a namespace here */
  readonly peerHost?: string;
}

export interface DriverResult {
  /** where hostA's own address lives (uplink, or the bridge that enslaved it) */
  readonly hostAIf: string;
  readonly containers: readonly Endpoint[];
  readonly caveats: readonly string[];
  readonly datapath?: 'system' | 'netdev';
  /** where the peer's end of the traffic is, when not its LAN address (vxlan: its VTEP on the overlay) */
  readonly peer?: Endpoint;
}

export interface Driver {
  /** one line for `bench topology list` */
  readonly summary: string;
  /** programs this driver runs beyond iproute2 */
  readonly needs: readonly ToolName[];
  /** switch reflects frames back out of hostA's port (vepa and private only) */
  hairpin(spec: TopologySpec): boolean;
  /** hostA's address goes on the uplink unless the driver moves it */
  build(ctx: BuildContext, spec: TopologySpec, lan: LanBase): Promise<DriverResult>;
}

/** veth pairs per container: the container's end gets the address, hostA's end is returned. */
export async function vethContainers(
  ctx: BuildContext,
  spec: TopologySpec,
  lan: LanBase,
  prefix: number,
  onHostSide: (hostIf: string) => Promise<void>,
): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  for (const c of spec.containers) {
    const ns = await ctx.addNetns(c.name);
    const [hostIf, cIf] = await ctx.addVeth({ netns: lan.hostA, role: `${c.name}h` }, { netns: ns, role: c.name }, spec.containerMtu);
    await onHostSide(hostIf);
    await ctx.up(lan.hostA, hostIf);
    await ctx.address(ns, cIf, c.address, prefix);
    await ctx.up(ns, cIf);
    out.push({ netns: ns, address: c.address, ifname: cIf });
  }
  return out;
}

/** A child link made in hostA (macvlan, ipvlan) moved into its container's namespace and given the container's address. */
export async function adoptChild(ctx: BuildContext, spec: TopologySpec, lan: LanBase, ns: string, name: string, c: { name: string; address: string }): Promise<Endpoint> {
  ctx.interfaces.push({ netns: lan.hostA, name, role: c.name });
  ctx.record({ kind: 'link', netns: ns, name });
  await ctx.ip(lan.hostA, 'link', 'set', name, 'netns', ns);
  ctx.moved(name, ns);
  await ctx.ip(ns, 'link', 'set', name, 'mtu', String(spec.containerMtu));
  await ctx.address(ns, name, c.address, spec.lan.prefix);
  await ctx.up(ns, name);
  return { netns: ns, address: c.address, ifname: name };
}
