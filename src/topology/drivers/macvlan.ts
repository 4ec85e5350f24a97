/** macvlan children of hostA's uplink, made in hostA and moved into each container. */
import { NetbenchError } from '../../errors.js';
import { adoptChild, type Driver, type Endpoint } from './types.js';

export const macvlanDriver: Driver = {
  summary: 'macvlan children of the uplink (modes bridge, vepa, private, passthru)',
  needs: [],
  hairpin: (spec) => spec.mode === 'vepa' || spec.mode === 'private',
  async build(ctx, spec, lan) {
    const mode = spec.mode!;
    if (mode === 'passthru' && spec.containers.length > 1) {
      throw new NetbenchError('INVALID_TOPOLOGY', `macvlan passthru allows one child per parent; ${spec.containers.length} containers requested`);
    }
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    const containers: Endpoint[] = [];
    for (const c of spec.containers) {
      const ns = await ctx.addNetns(c.name);
      const name = ctx.naming.ifname(c.name);
      ctx.record({ kind: 'link', netns: lan.hostA, name });
      await ctx.ip(lan.hostA, 'link', 'add', name, 'link', lan.uplink, 'type', 'macvlan', 'mode', mode);
      containers.push(await adoptChild(ctx, spec, lan, ns, name, c));
    }
    const caveats = mode === 'passthru' ? ['macvlan passthru: the child owns the uplink; hostA loses its own use of it'] : [];
    return { hostAIf: lan.uplink, containers, caveats };
  },
};
