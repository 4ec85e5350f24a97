/**
 * ipvlan children of hostA's uplink (modes l2, l3, l3s). Every child shares the uplink's
 * MAC address; l3 and l3s route inside the parent instead of switching. Kernels built
 * without ipvlan say "Unknown device type": the build then stops with that reason, before
 * any container is made.
 */
import { NetbenchError } from '../../errors.js';
import { succeeded } from '../../exec/runner.js';
import { adoptChild, type Driver, type Endpoint } from './types.js';

/** The kernel's answer when a link type is not built in (and no module provides it). */
export const UNKNOWN_LINK_TYPE = /Unknown device type/i;

export function kernelLacks(kind: string, stderr: string): NetbenchError {
  return new NetbenchError(
    'UNSUPPORTED',
    `this kernel has no ${kind} (ip link add … type ${kind}: ${stderr.trim() || 'Unknown device type'}); ${kind} topologies run on hosts whose kernel has it`,
  );
}

export const ipvlanDriver: Driver = {
  summary: 'ipvlan children of the uplink (modes l2, l3, l3s); refused on kernels without ipvlan',
  needs: [],
  hairpin: () => false,
  async build(ctx, spec, lan) {
    const mode = spec.mode!;
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    const containers: Endpoint[] = [];
    for (const c of spec.containers) {
      const name = ctx.naming.ifname(c.name);
      ctx.record({ kind: 'link', netns: lan.hostA, name });
      const add = await ctx.runner.run({ program: 'ip', args: ['-n', lan.hostA, 'link', 'add', name, 'link', lan.uplink, 'type', 'ipvlan', 'mode', mode], timeoutMs: 20_000 });
      if (!succeeded(add)) {
        if (UNKNOWN_LINK_TYPE.test(add.stderr)) throw kernelLacks('ipvlan', add.stderr);
        throw new NetbenchError('BUILD_FAILED', `ip link add ${name} type ipvlan mode ${mode}: ${add.stderr.trim()}`);
      }
      const ns = await ctx.addNetns(c.name);
      containers.push(await adoptChild(ctx, spec, lan, ns, name, c));
      // l3 and l3s answer no ARP for the children: the container reaches its LAN by a device route
      if (mode !== 'l2') await ctx.ip(ns, 'route', 'replace', 'default', 'dev', name);
    }
    const caveats = mode === 'l2' ? [] : [`ipvlan ${mode}: the children route through the parent; the LAN sees every child with the uplink's MAC address`];
    return { hostAIf: lan.uplink, containers, caveats };
  },
};
