/**
 * Getting a real-host run ready, before anything is touched: the ssh connection to the
 * peer machine (one, multiplexed), root and the tools there, both test NICs checked safe,
 * and the fingerprint of both machines and NICs. docs/architecture.md ("Real hosts").
 */
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { NetbenchError } from '../errors.js';
import type { BackgroundProcess, Runner } from '../exec/runner.js';
import { PlacedRunner } from '../exec/placed.js';
import { checkDestination, openMaster, SshRunner, type SshTarget } from '../exec/ssh.js';
import { Ledger, processEntry } from '../lab/ledger.js';
import { checkNicName, inspectNic, sshDevices } from '../lab/nic.js';
import type { StateDirs } from '../lab/state.js';
import type { NicEnv, PeerMachineEnv, RealHostsEnv } from '../results/types.js';
import { TOOLS, type ToolName, versionIn } from '../tools.js';
import type { RealHosts } from '../topology/real.js';
import { parseEthtoolFeatures } from './env.js';
import { holdHasNoEffect, holdOnPeer, readIdleRegime } from '../lab/idle.js';
import type { IdleEnv } from '../results/types.js';

export interface RealHostFlags {
  readonly uplink?: string;
  readonly peer?: string;
  readonly peerUplink?: string;
  readonly sshConfig?: string;
}

/** The three flags go together; undefined when none is given (a lab run). */
export function realHostTarget(flags: RealHostFlags): { target: SshTarget; uplink: string; peerUplink: string } | undefined {
  const given = [flags.uplink, flags.peer, flags.peerUplink].filter((x) => x !== undefined).length;
  if (given === 0) {
    if (flags.sshConfig !== undefined) throw new NetbenchError('USAGE', '--ssh-config applies to a real-host run (--peer) only');
    return undefined;
  }
  if (given < 3) throw new NetbenchError('USAGE', 'a real-host run needs all three of --uplink <this machine\'s test NIC>, --peer <ssh destination> and --peer-uplink <the peer\'s test NIC>');
  checkDestination(flags.peer!);
  checkNicName('--uplink', flags.uplink!);
  checkNicName('--peer-uplink', flags.peerUplink!);
  return { target: { destination: flags.peer!, ...(flags.sshConfig !== undefined ? { configFile: resolve(flags.sshConfig) } : {}) }, uplink: flags.uplink!, peerUplink: flags.peerUplink! };
}

/** What the peer machine must have, beyond a POSIX shell: the programs the peer side of a trial runs. */
export const PEER_TOOLS: readonly ToolName[] = ['ip', 'ping', 'iperf3', 'netperf', 'netserver', 'taskset', 'ethtool'];
/** coreutils and iproute2 programs the suite runs there, with their Debian packages */
const PEER_BASICS: Readonly<Record<string, string>> = { timeout: 'coreutils', ss: 'iproute2', sysctl: 'procps' };

/** Each tool's version on the peer (null when it is missing there). */
export async function peerTools(remote: Runner, tools: readonly string[] = [...PEER_TOOLS, 'bpftrace', ...Object.keys(PEER_BASICS)]): Promise<Record<string, string | null>> {
  const r = await remote.run({ program: 'sh', args: ['-c', 'for t in "$@"; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; exit 0', 'sh', ...tools], timeoutMs: 20_000 });
  if (r.spawnError !== undefined) throw new NetbenchError('SSH_FAILED', r.spawnError);
  const present = new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  const out: Record<string, string | null> = {};
  for (const t of tools) {
    if (!present.has(t)) {
      out[t] = null;
      continue;
    }
    const args = t in TOOLS ? [...TOOLS[t as ToolName].versionArgs] : ['--version'];
    const v = await remote.run({ program: t, args, timeoutMs: 10_000 });
    out[t] = versionIn(v) ?? 'present';
  }
  return out;
}

/** What is missing on the peer, each with how to install it there. */
export function missingOnPeer(tools: Record<string, string | null>): string[] {
  const pkg = (t: string) => (t in TOOLS ? TOOLS[t as ToolName].package : (PEER_BASICS[t] ?? t));
  return [...PEER_TOOLS, ...Object.keys(PEER_BASICS)].filter((t) => tools[t] === null).map((t) => `${t} (apt-get install ${pkg(t).split(' ')[0]}${pkg(t).includes('non-free') ? " after enabling Debian's non-free component" : ''})`);
}

/** Why the peer machine cannot be traced (bpftrace, BTF, tracefs, as on this machine), or null when it can. */
export async function peerTracingUnavailable(remote: Runner, tools: Record<string, string | null>): Promise<string | null> {
  if (tools['bpftrace'] == null) return 'bpftrace is not installed on the peer (apt-get install bpftrace there)';
  const r = await remote.run({ program: 'sh', args: ['-c', '[ -e /sys/kernel/btf/vmlinux ] || echo "the kernel has no BTF (/sys/kernel/btf/vmlinux)"; [ -e /sys/kernel/tracing/events/net/net_dev_queue ] || echo "tracefs is not mounted at /sys/kernel/tracing"; exit 0'], timeoutMs: 20_000 });
  if (r.spawnError !== undefined) return r.spawnError;
  const why = r.stdout.trim().split('\n').filter(Boolean);
  return why.length ? `on the peer, ${why.join('; ')}` : null;
}

export async function peerMachine(remote: Runner, host: string): Promise<Omit<PeerMachineEnv, 'tools'>> {
  const r = await remote.run({ program: 'sh', args: ['-c', 'id -u; uname -r; nproc; sed -n "s/^model name[[:space:]]*: //p" /proc/cpuinfo | head -n1'], timeoutMs: 20_000 });
  if (r.spawnError !== undefined) throw new NetbenchError('SSH_FAILED', r.spawnError);
  const [uid, kernel, cpus, model] = r.stdout.split('\n');
  if (uid?.trim() !== '0') throw new NetbenchError('SSH_FAILED', `the peer ${host} logs in as uid ${uid?.trim() || '?'}; netbench needs root there (it creates a namespace and moves the test NIC): log in as root, e.g. 'User root' in the ssh config`);
  return { host, kernel: kernel?.trim() ?? '', cpuCount: Number(cpus) || 0, cpuModel: model?.trim() || 'unknown' };
}

/** Driver, firmware, link speed, offloads and queues of a NIC, from ethtool. */
export async function nicEnv(runner: Runner, machine: 'hostA' | 'peer', name: string): Promise<NicEnv> {
  const eth = (args: string[]) => runner.run({ program: 'ethtool', args: [...args, name], timeoutMs: 10_000 });
  const info = (await eth(['-i'])).stdout;
  const field = (k: string) => new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  const speed = /Speed:\s*(\d+)Mb\/s/.exec((await eth([])).stdout)?.[1];
  const channels = (await eth(['-l'])).stdout.split(/Current hardware settings:/)[1] ?? '';
  const queue = (k: string) => {
    const v = new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(channels)?.[1];
    return v === undefined ? null : Number(v);
  };
  return {
    machine,
    name,
    driver: field('driver') || 'unknown',
    firmware: field('firmware-version'),
    speedMbps: speed === undefined ? null : Number(speed),
    offloads: parseEthtoolFeatures((await eth(['-k'])).stdout),
    queues: { rx: queue('RX'), tx: queue('TX'), combined: queue('Combined') },
  };
}

export interface PreparedHosts {
  readonly real: RealHosts;
  readonly env: RealHostsEnv;
  /** why the peer cannot be traced, or null when bpftrace can run there */
  readonly peerTracing: string | null;
  /** end the ssh connection (its ledger goes with it) */
  close(): Promise<void>;
}

/**
 * One multiplexed ssh connection to the peer, its master process in a ledger of its own
 * (so `bench clean` ends it if this process is killed). `close` ends it.
 */
export async function connectPeer(local: Runner, target: SshTarget, state: StateDirs, tag: string, command: string): Promise<{ remote: SshRunner; ledger: Ledger; close: () => Promise<void>; onClose: (fn: () => Promise<void>) => void }> {
  const dir = resolve(state.root, 'ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ledger = Ledger.create(state.ledgers, `${tag}-ssh`, { tag, topology: 'ssh', pid: process.pid, command, createdAt: new Date().toISOString() });
  const socket = `${dir}/${tag}.sock`;
  let master: BackgroundProcess | undefined;
  const before: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of before.reverse()) await fn();
    if (master) await master.stop(1000);
    ledger.remove();
  };
  try {
    master = await openMaster(local, target, socket);
    ledger.append(processEntry(master, `ssh master to ${target.destination}`));
    return { remote: new SshRunner(local, target, socket), ledger, close, onClose: (fn) => before.push(fn) };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Connect, check, fingerprint. Throws (having touched nothing on either machine) when the
 * peer cannot be reached, is not root, lacks a tool, or a NIC is not safe to take.
 */
/**
 * The run's CPU-latency request on the peer too, for as long as the ssh connection lasts:
 * a process there in the connection's ledger (with how to reach the peer, so that
 * `bench clean` can stop it), stopped before the connection closes.
 */
async function peerIdle(conn: Awaited<ReturnType<typeof connectPeer>>, target: SshTarget, hold: { valueUs: number | null; timeoutMs: number }): Promise<IdleEnv> {
  const regime = await readIdleRegime(conn.remote);
  if (hold.valueUs === null) return { ...regime, requestUs: null, note: 'no request held (--deep-idle): the CPUs may sleep between packets, as deployed' };
  conn.ledger.append({ kind: 'ssh', host: target.destination, ...(target.configFile !== undefined ? { config: target.configFile } : {}) });
  const held = await holdOnPeer(conn.remote, hold.valueUs, hold.timeoutMs);
  if (held.proc) {
    const proc = held.proc;
    conn.ledger.append(processEntry(proc, 'CPU-latency request on the peer'));
    conn.onClose(async () => void (await proc.stop(500)));
  }
  return { ...regime, requestUs: held.hold.valueUs, note: held.hold.reason ?? holdHasNoEffect(regime) };
}

export async function prepareRealHosts(local: Runner, flags: NonNullable<ReturnType<typeof realHostTarget>>, state: StateDirs, tag: string, command: string, log: (l: string) => void, hold: { valueUs: number | null; timeoutMs: number } = { valueUs: null, timeoutMs: 60_000 }): Promise<PreparedHosts> {
  log(`connecting to ${flags.target.destination} over ssh`);
  const started = performance.now();
  const conn = await connectPeer(local, flags.target, state, tag, command);
  const { remote, close } = conn;
  try {
    const machine = await peerMachine(remote, flags.target.destination);
    const tools = await peerTools(remote);
    const missing = missingOnPeer(tools);
    if (missing.length) throw new NetbenchError('MISSING_TOOL', `the peer ${flags.target.destination} lacks ${missing.join(', ')}; install them there (netbench runs nothing of its own on the peer, only these tools)`);
    const ssh = await sshDevices(local, remote);
    const mine = await inspectNic(local, flags.uplink, 'this machine', ssh.local);
    const theirs = await inspectNic(remote, flags.peerUplink, flags.target.destination, ssh.remote);
    const refusals = [...mine.refusals, ...theirs.refusals];
    if (refusals.length || !mine.state || !theirs.state) {
      throw new NetbenchError('UNSAFE_NIC', `refusing to take the test NICs, nothing was changed on either machine:\n${refusals.map((r) => `  - ${r}`).join('\n')}\n${NIC_RULE}`);
    }
    const nics = [await nicEnv(local, 'hostA', flags.uplink), await nicEnv(remote, 'peer', flags.peerUplink)];
    const peerTracing = await peerTracingUnavailable(remote, tools);
    const idle = await peerIdle(conn, flags.target, hold);
    const speeds = nics.map((n) => n.speedMbps).filter((s): s is number => s !== null);
    log(`peer ${flags.target.destination} ready in ${Math.round(performance.now() - started)} ms: kernel ${machine.kernel}, test NICs ${flags.uplink} here and ${flags.peerUplink} there`);
    return {
      real: { uplink: mine.state, peerUplink: theirs.state, peer: flags.target, runner: new PlacedRunner(local, remote) },
      env: { peer: { ...machine, tools, idle }, nics, lineRateMbps: speeds.length === 2 ? Math.min(...speeds) : null, clocksSynchronised: false },
      peerTracing,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export const NIC_RULE = "A test NIC must be dedicated to the benchmark: no address, no route, not the default route's or the ssh connection's device, not enslaved, nothing stacked on it.";
