/**
 * Docker-style NAT: a private bridge in hostA, veth per container, MASQUERADE out of the
 * uplink and DNAT for published ports. The rules live in a table of the suite's own in
 * hostA's namespace; nothing global changes.
 */
import { TOOL_PUBLISHED } from '../../workloads/ports.js';
import type { PublishedPort, TopologySpec } from '../spec.js';
import type { Driver } from './types.js';
import { vethContainers } from './types.js';

export function publishedPorts(spec: TopologySpec): PublishedPort[] {
  const first = spec.containers[0]?.name ?? '';
  const tool = TOOL_PUBLISHED.map((p) => ({ proto: p.proto, port: p.port, containerPort: p.port, container: first }));
  const extra = spec.publish.filter((p) => !tool.some((t) => t.proto === p.proto && t.port === p.port));
  return [...tool, ...extra];
}

export function natRuleset(spec: TopologySpec, table: string, uplink: string): string {
  const priv = spec.private!;
  const addr = (name: string) => spec.containers.find((c) => c.name === name)!.address;
  const dnat = publishedPorts(spec).map(
    (p) => `    iifname "${uplink}" ${p.proto} dport ${p.port} dnat to ${addr(p.container)}:${p.containerPort}`,
  );
  return [
    `table ip ${table} {`,
    `  chain prerouting {`,
    `    type nat hook prerouting priority dstnat; policy accept;`,
    ...dnat,
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    ip saddr ${priv.cidr.text} oifname "${uplink}" masquerade`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}

export const natDriver: Driver = {
  summary: 'Docker-style NAT: private bridge, MASQUERADE, DNAT for published ports',
  needs: ['nft'],
  hairpin: () => false,
  async build(ctx, spec, lan) {
    const priv = spec.private!;
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    const br = await ctx.addBridge(lan.hostA, 'dbr');
    await ctx.up(lan.hostA, br);
    await ctx.address(lan.hostA, br, priv.gateway, priv.cidr.prefix);
    const containers = await vethContainers(ctx, spec, lan, priv.cidr.prefix, (hostIf) => ctx.enslave(lan.hostA, hostIf, br));
    for (const c of containers) await ctx.ip(c.netns, 'route', 'add', 'default', 'via', priv.gateway);
    // forwarding is a per-namespace sysctl: this is hostA's, not the machine's
    await ctx.sysctl(lan.hostA, 'net.ipv4.ip_forward', '1');
    const table = ctx.naming.nftTable;
    ctx.record({ kind: 'nft-table', netns: lan.hostA, family: 'ip', table });
    await ctx.exec(lan.hostA, 'nft', ['-f', '-'], { input: natRuleset(spec, table, lan.uplink) });
    return { hostAIf: lan.uplink, containers, caveats: [] };
  },
};
