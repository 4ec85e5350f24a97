/**
 * Builders: who makes a topology's style. The iproute2 builder is the suite's own drivers;
 * docker and cni hand the same style to Docker's daemon or to CNI plugins. A builder says
 * which styles it makes and refuses the others with the reason; everything around the
 * build (the lab, the ledger, reachability, traffic, tracing) is the same for all three.
 */
import { NetbenchError } from '../errors.js';
import type { ToolName } from '../tools.js';
import { cniDriver } from './drivers/cni.js';
import { dockerDriver } from './drivers/docker.js';
import { DRIVER_REGISTRY } from './drivers/index.js';
import type { Driver } from './drivers/types.js';
import { BUILDERS, type BuilderName, type DriverName, type TopologySpec } from './spec.js';

export interface Builder {
  readonly name: BuilderName;
  readonly summary: string;
  /** the styles it makes, and why it does not make each of the others */
  readonly refuses: Readonly<Record<DriverName, string | null>>;
  driver(spec: TopologySpec): Driver;
}

const NO_CONTAINERS = 'host is the baseline with no container: the iproute2 builder makes it for every run';

export const BUILDER_REGISTRY: Readonly<Record<BuilderName, Builder>> = {
  iproute2: {
    name: 'iproute2',
    summary: "the suite's own drivers: every style, with ip, nft and Open vSwitch",
    refuses: { host: null, nat: null, bridge: null, ovs: null, macvlan: null, ipvlan: null, ptp: null, vxlan: null, ebpf: null },
    driver: (spec) => DRIVER_REGISTRY[spec.driver],
  },
  docker: {
    name: 'docker',
    summary: "a dockerd of the run's own in hostA: its default and user-defined bridges (NAT, published ports) and its macvlan driver",
    refuses: {
      host: NO_CONTAINERS,
      nat: null,
      macvlan: null,
      bridge: "Docker's bridge networks are NAT'd behind the host (that is its nat style, network \"user\"); Docker has no bridge onto the LAN",
      ovs: 'Docker has no Open vSwitch network driver',
      ipvlan: "Docker's ipvlan driver needs a kernel with ipvlan; the iproute2 builder says whether this one has it",
      ptp: 'Docker has no point-to-point network driver',
      vxlan: "Docker's overlay driver needs a swarm; the vxlan style is built with iproute2",
      ebpf: 'Docker has no eBPF datapath of its own; the ebpf style is built by the suite with tc BPF programs',
    },
    driver: () => dockerDriver,
  },
  cni: {
    name: 'cni',
    summary: 'CNI plugins invoked directly: bridge (with ipMasq and portmap for nat), macvlan, ptp',
    refuses: {
      host: NO_CONTAINERS,
      nat: null,
      bridge: null,
      macvlan: null,
      ptp: null,
      ovs: 'ovs-cni is not packaged for Debian',
      ipvlan: 'not wired to the ipvlan plugin: the iproute2 builder makes ipvlan where the kernel has it',
      vxlan: "Flannel's and Calico's vxlan backends are daemons, not CNI plugins; the vxlan style is built with iproute2 as Flannel sets it",
      ebpf: "Cilium's and Calico's eBPF datapaths are agents, not CNI plugins; the ebpf style is built by the suite with tc BPF programs",
    },
    driver: () => cniDriver,
  },
};

export { BUILDERS };

/** The driver that builds `spec`; a builder asked for a style it does not make refuses with the reason. */
export function driverFor(spec: TopologySpec): Driver {
  const b = BUILDER_REGISTRY[spec.builder];
  const why = b.refuses[spec.driver];
  if (why !== null) throw new NetbenchError('UNSUPPORTED', `${spec.name}: the ${b.name} builder does not make ${spec.driver}: ${why}`);
  return b.driver(spec);
}

/** Programs a spec's builder and style need beyond iproute2. */
export function builderNeeds(spec: TopologySpec): readonly ToolName[] {
  return driverFor(spec).needs;
}
