/** host (the baseline) and bridge: the two drivers that are only iproute2. */
import type { Driver } from './types.js';
import { vethContainers } from './types.js';

export const hostDriver: Driver = {
  summary: 'baseline: no container, the endpoint is hostA itself (--net=host)',
  needs: [],
  hairpin: () => false,
  async build(ctx, spec, lan) {
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    return { hostAIf: lan.uplink, containers: [], caveats: [] };
  },
};

export const bridgeDriver: Driver = {
  summary: 'Linux bridge in hostA enslaving the uplink; containers on the LAN via veth',
  needs: [],
  hairpin: () => false,
  async build(ctx, spec, lan) {
    const br = await ctx.addBridge(lan.hostA, 'dbr');
    await ctx.enslave(lan.hostA, lan.uplink, br);
    await ctx.ip(lan.hostA, 'link', 'set', br, 'mtu', String(spec.lan.mtu));
    await ctx.up(lan.hostA, br);
    await ctx.address(lan.hostA, br, spec.lan.hostA, spec.lan.prefix);
    const containers = await vethContainers(ctx, spec, lan, spec.lan.prefix, (hostIf) => ctx.enslave(lan.hostA, hostIf, br));
    return { hostAIf: br, containers, caveats: [] };
  },
};
