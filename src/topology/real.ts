/**
 * The lab's base on real machines: hostA is a namespace on this machine holding its
 * dedicated test NIC; the peer is a namespace on the remote machine holding that one's.
 * The real switch (or cable) between them replaces the emulated switch. Each move is in
 * the ledger first, so teardown and `bench clean` give the NICs back.
 */
import { ensureOk, type Runner } from '../exec/runner.js';
import type { PlacedRunner } from '../exec/placed.js';
import type { SshTarget } from '../exec/ssh.js';
import { moveNicInto, type NicState } from '../lab/nic.js';
import { type BuildContext, NETNS_SYSCTLS } from './context.js';
import type { LanBase } from './drivers/types.js';
import type { TopologySpec } from './spec.js';

export interface RealHosts {
  /** this machine's test NIC, as it was found (and is given back) */
  readonly uplink: NicState;
  /** the peer machine's test NIC, as it was found */
  readonly peerUplink: NicState;
  readonly peer: SshTarget;
  /** routes each command to this machine or the peer by its namespace */
  readonly runner: PlacedRunner;
}

/** The namespace settings `BuildContext.addNetns` makes here, made on the peer machine. */
async function addPeerNetns(remote: Runner, name: string): Promise<void> {
  const run = async (args: string[], netns?: string) => ensureOk(await remote.run({ program: args[0]!, args: args.slice(1), ...(netns ? { netns } : {}), timeoutMs: 20_000 }));
  await run(['ip', 'netns', 'add', name]);
  await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  for (const [key, value] of NETNS_SYSCTLS) await run(['sysctl', '-qw', `${key}=${value}`], name);
}

export async function buildRealLan(ctx: BuildContext, spec: TopologySpec, real: RealHosts): Promise<LanBase> {
  const host = real.peer.destination;
  const remote = real.runner.remote;
  const hostA = await ctx.addNetns('hostA');
  const peerNs = ctx.naming.netns('peer');
  ctx.record({ kind: 'ssh', host, ...(real.peer.configFile !== undefined ? { config: real.peer.configFile } : {}) });
  ctx.record({ kind: 'netns', name: peerNs, host });
  real.runner.placeOnPeer(peerNs);
  await addPeerNetns(remote, peerNs);

  const nic = real.uplink;
  ctx.record({ kind: 'nic', netns: hostA, name: nic.name, mtu: nic.mtu, up: nic.up });
  await moveNicInto(real.runner.local, nic.name, hostA);
  await ctx.ip(hostA, 'link', 'set', nic.name, 'mtu', String(spec.lan.mtu), 'up');
  ctx.interfaces.push({ netns: hostA, name: nic.name, role: 'up' });

  const peerNic = real.peerUplink;
  ctx.record({ kind: 'nic', host, netns: peerNs, name: peerNic.name, mtu: peerNic.mtu, up: peerNic.up });
  await moveNicInto(remote, peerNic.name, peerNs);
  await ctx.ip(peerNs, 'link', 'set', peerNic.name, 'mtu', String(spec.lan.mtu), 'up');
  ctx.interfaces.push({ netns: peerNs, name: peerNic.name, role: 'peer' });
  await ctx.address(peerNs, peerNic.name, spec.lan.peer, spec.lan.prefix);
  return { hostA, peerNs, uplink: nic.name, peerIf: peerNic.name, peerHost: host };
}
