/**
 * Open vSwitch as a private instance inside hostA's namespace: its own database,
 * ovsdb-server and ovs-vswitchd, run directory under the run's scratch dir, never the
 * system's socket. Kernel datapath when the openvswitch module is loaded; otherwise the
 * userspace netdev datapath, which needs TX checksum offload off on the veths it serves.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError, errorMessage } from '../../errors.js';
import { lastLines } from '../../exec/runner.js';
import type { BuildContext } from '../context.js';
import type { Driver, LanBase } from './types.js';
import { vethContainers } from './types.js';

const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
const VSCTL_TIMEOUT_S = 10;

export function kernelDatapathAvailable(): boolean {
  return existsSync('/sys/module/openvswitch');
}

export interface OvsInstance {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly db: string;
}

export function ovsEnv(dir: string): Record<string, string> {
  return { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
}

function logTail(dir: string, file: string): string {
  try {
    return lastLines(readFileSync(join(dir, file), 'utf8'), 5);
  } catch {
    return '(no log)';
  }
}

async function startDaemon(ctx: BuildContext, netns: string, dir: string, program: string, args: string[]): Promise<void> {
  try {
    await ctx.exec(netns, program, args, { env: ovsEnv(dir), timeoutMs: 20_000 });
  } catch (err) {
    throw new NetbenchError('OVS_FAILED', `${program} failed to start in ${netns}: ${errorMessage(err)}; last lines of ${program}.log: ${logTail(dir, `${program}.log`)}`, {
      cause: err,
    });
  }
}

export async function startOvs(ctx: BuildContext, netns: string): Promise<OvsInstance> {
  const dir = join(ctx.runDir, 'ovs');
  // the ledger learns of the instance before any daemon exists; teardown reads its pidfiles
  ctx.record({ kind: 'ovs', netns, dir });
  await ctx.makeDir(dir);
  const db = `unix:${join(dir, 'db.sock')}`;
  await ctx.exec(undefined, 'ovsdb-tool', ['create', join(dir, 'conf.db'), OVS_SCHEMA], { env: ovsEnv(dir) });
  const common = ['--detach', '--no-chdir'];
  await startDaemon(ctx, netns, dir, 'ovsdb-server', [
    join(dir, 'conf.db'),
    `--remote=punix:${join(dir, 'db.sock')}`,
    `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
    `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
    ...common,
  ]);
  const inst = { dir, env: ovsEnv(dir), db };
  await vsctl(ctx, netns, inst, ['--no-wait', 'init']);
  await startDaemon(ctx, netns, dir, 'ovs-vswitchd', [
    db,
    `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`,
    `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
    `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`,
    ...common,
  ]);
  return inst;
}

export function vsctlArgs(inst: OvsInstance, args: string[]): string[] {
  return [`--db=${inst.db}`, `--timeout=${VSCTL_TIMEOUT_S}`, ...args];
}

export async function vsctl(ctx: BuildContext, netns: string, inst: OvsInstance, args: string[]): Promise<string> {
  try {
    const r = await ctx.exec(netns, 'ovs-vsctl', vsctlArgs(inst, args), { env: inst.env, timeoutMs: (VSCTL_TIMEOUT_S + 5) * 1000 });
    return r.stdout;
  } catch (err) {
    throw new NetbenchError('OVS_FAILED', `${errorMessage(err)}; last lines of ovs-vswitchd.log: ${logTail(inst.dir, 'ovs-vswitchd.log')}`, { cause: err });
  }
}

async function offloadOff(ctx: BuildContext, lan: LanBase, containers: { netns: string; ifname: string }[], hostSides: string[]): Promise<void> {
  // a real-host run's NICs are left as they are: a NIC hands up whole checksums, unlike a veth
  const lab = lan.switch;
  const ends: [string, string][] = [
    ...(lab ? ([[lan.hostA, lan.uplink], [lab.ns, lab.toHostA], [lab.ns, lab.toPeer], [lan.peerNs, lan.peerIf]] as [string, string][]) : []),
    ...hostSides.map((h): [string, string] => [lan.hostA, h]),
    ...containers.map((c): [string, string] => [c.netns, c.ifname]),
  ];
  for (const [ns, dev] of ends) await ctx.exec(ns, 'ethtool', ['-K', dev, 'tx', 'off']);
}

export const ovsDriver: Driver = {
  summary: 'Open vSwitch bridge (private instance in hostA) with uplink and container ports',
  needs: ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ethtool'],
  hairpin: () => false,
  async build(ctx, spec, lan) {
    const datapath = spec.datapath === 'auto' ? (kernelDatapathAvailable() ? 'system' : 'netdev') : spec.datapath;
    const inst = await startOvs(ctx, lan.hostA);
    const br = ctx.naming.ifname('obr');
    ctx.record({ kind: 'link', netns: lan.hostA, name: br });
    await vsctl(ctx, lan.hostA, inst, ['add-br', br, '--', 'set', 'bridge', br, `datapath_type=${datapath}`]);
    ctx.interfaces.push({ netns: lan.hostA, name: br, role: 'obr' });
    await vsctl(ctx, lan.hostA, inst, ['add-port', br, lan.uplink]);
    const hostSides: string[] = [];
    const containers = await vethContainers(ctx, spec, lan, spec.lan.prefix, async (hostIf) => {
      hostSides.push(hostIf);
      await vsctl(ctx, lan.hostA, inst, ['add-port', br, hostIf]);
    });
    if (datapath === 'netdev') {
      await offloadOff(ctx, lan, containers, hostSides);
      await ctx.exec(lan.hostA, 'ethtool', ['-K', br, 'tx', 'off']);
    }
    await ctx.ip(lan.hostA, 'link', 'set', br, 'mtu', String(spec.lan.mtu));
    await ctx.up(lan.hostA, br);
    await ctx.address(lan.hostA, br, spec.lan.hostA, spec.lan.prefix);
    const caveats =
      datapath === 'netdev'
        ? ['ovs ran on the userspace netdev datapath (no openvswitch kernel module); TX checksum offload off on its veths; expect a fraction of the kernel path\'s speed']
        : ['ovs ran on the kernel (system) datapath'];
    return { hostAIf: br, containers, caveats, datapath };
  },
};
