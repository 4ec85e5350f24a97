/**
 * eBPF host routing, Cilium-style, built by this suite (not Cilium itself): ptp's wiring
 * (a pair per container, /32 routes through hostA, the peer routing the containers'
 * network via hostA), with tc BPF programs doing the forwarding instead of hostA's IP
 * stack (bench/datapath/host-routing.bpf.c): from a container, bpf_redirect_neigh out of
 * the uplink or bpf_redirect_peer into another container; from the uplink,
 * bpf_redirect_peer into the container. The loader (bench/datapath/attach.c) attaches
 * them in hostA's namespace and exits: the tc filters hold the programs, nothing is
 * pinned, and each clsact qdisc is in the ledger before it is made.
 *
 * Mode netkit uses netkit pairs instead of veths (kernels with CONFIG_NETKIT); kernels
 * without it say "Unknown device type", and the build stops with that reason.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError } from '../../errors.js';
import { describeFailure, succeeded } from '../../exec/runner.js';
import { BENCH_DIR } from '../../locations.js';
import type { BuildContext } from '../context.js';
import type { TopologySpec } from '../spec.js';
import { UNKNOWN_LINK_TYPE } from './ipvlan.js';
import { routedContainer, routeViaHostA } from './routed.js';
import type { Driver, Endpoint, LanBase } from './types.js';

export const DATAPATH_LOADER = join(BENCH_DIR, 'datapath', 'build', 'netbench-datapath');

/** Why the eBPF datapath cannot be attached here, or undefined when it can. */
export function datapathUnavailable(loader = DATAPATH_LOADER, btf = '/sys/kernel/btf/vmlinux'): string | undefined {
  if (!existsSync(btf)) return `the kernel has no BTF (${btf}): the eBPF datapath is built CO-RE against it`;
  if (!existsSync(loader)) return 'the eBPF datapath is not built (bench/datapath/build/netbench-datapath; scripts/setup.sh builds it with make -C bench/datapath)';
  return undefined;
}

/** A netkit pair: hostA's end (the primary) and the container's (the peer), made inside their namespaces. */
async function netkitPair(ctx: BuildContext, hostA: string, ns: string, name: string, mtu: number): Promise<[string, string]> {
  const hostIf = ctx.naming.ifname(`${name}h`);
  const cIf = ctx.naming.ifname(name);
  ctx.record({ kind: 'link', netns: hostA, name: hostIf });
  const add = await ctx.runner.run({ program: 'ip', args: ['-n', hostA, 'link', 'add', hostIf, 'mtu', String(mtu), 'type', 'netkit', 'mode', 'l3', 'peer', 'name', cIf, 'netns', ns, 'mtu', String(mtu)], timeoutMs: 20_000 });
  if (!succeeded(add)) {
    // an iproute2 that does not know netkit refuses its options before the kernel is asked: ask the kernel bare
    const bare = UNKNOWN_LINK_TYPE.test(add.stderr) ? add : await ctx.runner.run({ program: 'ip', args: ['-n', hostA, 'link', 'add', hostIf, 'type', 'netkit'], timeoutMs: 20_000 });
    if (UNKNOWN_LINK_TYPE.test(bare.stderr)) {
      throw new NetbenchError('UNSUPPORTED', `this kernel has no netkit (ip link add … type netkit: ${bare.stderr.trim()}; CONFIG_NETKIT is not set); the ebpf-netkit topology runs on kernels built with it (6.7 and later)`);
    }
    throw new NetbenchError('BUILD_FAILED', `ip link add ${hostIf} type netkit mode l3: ${add.stderr.trim()}${succeeded(bare) ? ' (the kernel has netkit: this iproute2 cannot configure it)' : ''}`);
  }
  ctx.interfaces.push({ netns: hostA, name: hostIf, role: `${name}h` }, { netns: ns, name: cIf, role: name });
  return [hostIf, cIf];
}

/**
 * The tc programs: a clsact qdisc on each device, recorded before the loader makes it;
 * the uplink's program hands packets into containers, each container's takes its
 * egress. On netkit only the uplink's (Debian's libbpf cannot attach netkit's own).
 */
async function attachDatapath(ctx: BuildContext, lan: LanBase, hostIfs: readonly string[]): Promise<void> {
  for (const dev of [lan.uplink, ...hostIfs]) ctx.record({ kind: 'qdisc', netns: lan.hostA, dev });
  const r = await ctx.runner.run({ program: DATAPATH_LOADER, args: [lan.uplink, ...hostIfs], netns: lan.hostA, timeoutMs: 20_000 });
  if (succeeded(r)) return;
  // not built, or no BTF: say so rather than ip netns exec's "No such file or directory"
  const why = datapathUnavailable();
  if (why) throw new NetbenchError('UNSUPPORTED', why);
  throw new NetbenchError('BUILD_FAILED', `the eBPF datapath could not be attached: ${describeFailure(r)}`);
}

export const ebpfDriver: Driver = {
  summary: 'eBPF host routing (Cilium-style, built by this suite): ptp wiring with tc BPF programs forwarding by bpf_redirect_peer and bpf_redirect_neigh; mode netkit on kernels with netkit',
  needs: [],
  hairpin: () => false,
  async build(ctx, spec: TopologySpec, lan) {
    const netkit = spec.mode === 'netkit';
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    const containers: Endpoint[] = [];
    const hostIfs: string[] = [];
    for (const c of spec.containers) {
      const ns = await ctx.addNetns(c.name);
      const [hostIf, cIf] = netkit ? await netkitPair(ctx, lan.hostA, ns, c.name, spec.containerMtu) : await ctx.addVeth({ netns: lan.hostA, role: `${c.name}h` }, { netns: ns, role: c.name }, spec.containerMtu);
      hostIfs.push(hostIf);
      containers.push(await routedContainer(ctx, spec, lan, ns, hostIf, cIf, c.address));
    }
    // forwarding stays on: the programs ask the kernel's FIB, which answers only where hostA forwards
    await routeViaHostA(ctx, spec, lan);
    await attachDatapath(ctx, lan, netkit ? [] : hostIfs);
    const caveats = ['ebpf: eBPF host routing as Cilium and Calico do it, built by this suite with its own tc programs (bench/datapath); not Cilium itself'];
    if (netkit) caveats.push("ebpf-netkit: only the uplink's program is attached (Debian's libbpf cannot attach netkit's own programs): a container's egress is routed by hostA's stack");
    return { hostAIf: lan.uplink, containers, caveats };
  },
};
