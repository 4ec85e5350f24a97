/**
 * Build one topology instance: the shared lab (hostA, switch, peer), then the driver's
 * part. Any failure, or an interrupt, rolls back everything the ledger recorded.
 */
import { join } from 'node:path';
import { NetbenchError, errorMessage } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { Ledger } from '../lab/ledger.js';
import { claimRunTag } from '../lab/lock.js';
import { Naming } from '../lab/names.js';
import type { StateDirs } from '../lab/state.js';
import { teardown } from '../lab/teardown.js';
import { driverFor } from './builders.js';
import type { Endpoint, LanBase } from './drivers/types.js';
import { type Iface, BuildContext } from './context.js';
import { buildRealLan, type RealHosts } from './real.js';
import type { TopologySpec } from './spec.js';

export interface BuiltTopology {
  readonly spec: TopologySpec;
  readonly tag: string;
  readonly ledgerPath: string;
  readonly runDir: string;
  readonly lan: LanBase;
  readonly hostA: Endpoint;
  readonly peer: Endpoint;
  readonly containers: readonly Endpoint[];
  readonly interfaces: readonly Iface[];
  readonly hairpin: boolean;
  readonly caveats: readonly string[];
  readonly datapath?: 'system' | 'netdev';
  readonly buildMs: number;
}

export interface BuildOptions {
  readonly runner: Runner;
  readonly state: StateDirs;
  readonly tag: string;
  readonly slot: number;
  readonly command: string;
  readonly aborted?: () => boolean;
  readonly log?: (line: string) => void;
  /** build on real machines' test NICs instead of the emulated uplink, switch and peer */
  readonly real?: RealHosts;
}

async function buildLan(ctx: BuildContext, spec: TopologySpec, hairpin: boolean): Promise<LanBase> {
  const hostA = await ctx.addNetns('hostA');
  const switchNs = await ctx.addNetns('switch');
  const peerNs = await ctx.addNetns('peer');
  const mtu = spec.lan.mtu;
  const switchBridge = await ctx.addBridge(switchNs, 'sw');
  // the switch must not bridge frames through the machine's netfilter: it is a plain LAN
  await ctx.ip(switchNs, 'link', 'set', switchBridge, 'mtu', String(mtu));
  const [peerIf, switchToPeer] = await ctx.addVeth({ netns: peerNs, role: 'peer' }, { netns: switchNs, role: 'swp' }, mtu);
  const [uplink, switchToHostA] = await ctx.addVeth({ netns: hostA, role: 'up' }, { netns: switchNs, role: 'swa' }, mtu);
  await ctx.enslave(switchNs, switchToPeer, switchBridge);
  await ctx.enslave(switchNs, switchToHostA, switchBridge);
  if (hairpin) await ctx.ip(switchNs, 'link', 'set', switchToHostA, 'type', 'bridge_slave', 'hairpin', 'on');
  await ctx.up(switchNs, switchBridge, switchToPeer, switchToHostA);
  await ctx.address(peerNs, peerIf, spec.lan.peer, spec.lan.prefix);
  await ctx.up(peerNs, peerIf);
  await ctx.up(hostA, uplink);
  return { hostA, peerNs, uplink, peerIf, switch: { ns: switchNs, toHostA: switchToHostA, toPeer: switchToPeer, bridge: switchBridge } };
}

export async function buildTopology(spec: TopologySpec, opts: BuildOptions): Promise<BuiltTopology> {
  const naming = new Naming(opts.tag, spec.name, opts.slot);
  const started = performance.now();
  // while this process lives, `bench clean` (from any state directory) leaves this run's objects alone
  await claimRunTag(opts.tag);
  const runner = opts.real?.runner ?? opts.runner;
  const ledger = Ledger.create(opts.state.ledgers, naming.ledgerId, {
    tag: opts.tag,
    topology: spec.name,
    pid: process.pid,
    command: opts.command,
    createdAt: new Date().toISOString(),
  });
  const runDir = join(opts.state.runs, naming.ledgerId);
  const ctx = new BuildContext(runner, ledger, naming, runDir, opts.aborted);
  const driver = driverFor(spec);
  try {
    await ctx.makeDir(runDir);
    // on real machines the hairpin is the real switch's to give (or not): it is never set
    const hairpin = opts.real ? false : driver.hairpin(spec);
    const lan = opts.real ? await buildRealLan(ctx, spec, opts.real) : await buildLan(ctx, spec, hairpin);
    const result = await driver.build(ctx, spec, lan);
    ledger.append({ kind: 'status', status: 'up' });
    return {
      spec,
      tag: opts.tag,
      ledgerPath: ledger.path,
      runDir,
      lan,
      hostA: { netns: lan.hostA, address: spec.lan.hostA, ifname: result.hostAIf },
      peer: result.peer ?? { netns: lan.peerNs, address: spec.lan.peer, ifname: lan.peerIf },
      containers: result.containers,
      interfaces: ctx.interfaces,
      hairpin,
      caveats: result.caveats,
      ...(result.datapath ? { datapath: result.datapath } : {}),
      buildMs: performance.now() - started,
    };
  } catch (err) {
    opts.log?.(`build of ${spec.name} failed: ${errorMessage(err)}; rolling back`);
    try {
      await teardown(ledger, { runner: opts.runner, stateRoot: opts.state.root, ...(opts.real ? { remote: () => opts.real!.runner.remote } : {}) });
    } catch (cleanupErr) {
      throw new NetbenchError('BUILD_FAILED', `building ${spec.name} failed (${errorMessage(err)}) and rollback failed too (${errorMessage(cleanupErr)}); run 'bench clean'`, {
        cause: err,
      });
    }
    if (opts.aborted?.()) throw new NetbenchError('INTERRUPTED', `interrupted while building ${spec.name}; everything it created was removed`, { cause: err });
    if (err instanceof NetbenchError && (err.code === 'INTERRUPTED' || err.isUsage)) throw err;
    const code = err instanceof NetbenchError && err.code === 'OVS_FAILED' ? 'OVS_FAILED' : 'BUILD_FAILED';
    throw new NetbenchError(code, `building ${spec.name} failed, everything it created was removed: ${errorMessage(err)}`, { cause: err });
  }
}

/** `remote`: the peer machine's runner of a real-host run (else teardown reaches it as the ledger says). */
export async function teardownBuilt(built: BuiltTopology, runner: Runner, state: StateDirs, remote?: Runner): Promise<number> {
  const started = performance.now();
  await teardown(Ledger.open(built.ledgerPath), { runner, stateRoot: state.root, ...(remote ? { remote: () => remote } : {}) });
  return performance.now() - started;
}
