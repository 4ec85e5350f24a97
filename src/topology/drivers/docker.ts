/**
 * The docker builder: a dockerd of the run's own, started inside hostA's namespace
 * (nsenter: `ip netns exec` would remount /sys and hide the cgroup mounts dockerd needs),
 * with its own data, exec and socket paths, containerd namespace and cgroup parent.
 * Docker makes the network and the containers; each container's namespace is then given
 * a name (`ip netns attach`) so that the tools enter it like any other. The image is
 * busybox, imported from the machine's own busybox-static: no registry is ever asked.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError } from '../../errors.js';
import { lastLines, succeeded } from '../../exec/runner.js';
import { DOCKER_OUTSIDE_PATHS, dockerCgroupParent, dockerPaths } from '../../lab/docker.js';
import { procfs } from '../../lab/processes.js';
import { findOnPath } from '../../tools.js';
import { type BuildContext, NETNS_SYSCTLS } from '../context.js';
import type { TopologySpec } from '../spec.js';
import { hostEnd } from './cni.js';
import { macvlanDriver } from './macvlan.js';
import { publishedPorts } from './nat.js';
import type { Driver, Endpoint, LanBase } from './types.js';

const READY_TIMEOUT_MS = 30_000;
/**
 * The container's first process: it waits, and ends at SIGINT or SIGTERM. A bare `sleep`
 * as a namespace's pid 1 ignores both, and teardown would wait for its SIGKILL.
 */
export const CONTAINER_INIT = 'trap "exit 0" INT TERM; while :; do sleep 3600 & wait $!; done';

export function dockerdArgs(spec: TopologySpec, hostA: string, dir: string, tag: string): string[] {
  const p = dockerPaths(dir);
  const nat = spec.driver === 'nat';
  const priv = spec.private;
  const defaultBridge = nat && spec.docker?.network !== 'user';
  return [
    `--net=/run/netns/${hostA}`,
    'dockerd',
    `--data-root=${p.data}`,
    `--exec-root=${p.exec}`,
    `--pidfile=${p.pidfile}`,
    `--host=unix://${p.socket}`,
    `--config-file=${p.config}`,
    `--containerd-namespace=netbench-${tag}`,
    `--containerd-plugins-namespace=netbench-${tag}-plugins`,
    `--cgroup-parent=${dockerCgroupParent(tag)}`,
    '--storage-driver=overlay2',
    '--log-level=warn',
    `--iptables=${nat}`,
    `--userland-proxy=${spec.docker?.userlandProxy ?? true}`,
    ...(defaultBridge ? [`--bip=${priv!.gateway}/${priv!.cidr.prefix}`, `--mtu=${spec.containerMtu}`] : ['--bridge=none']),
  ];
}

class Daemon {
  constructor(
    readonly socket: string,
    private readonly ctx: BuildContext,
  ) {}

  async docker(...args: string[]): Promise<string> {
    const r = await this.ctx.exec(undefined, 'docker', ['-H', `unix://${this.socket}`, ...args], { timeoutMs: 60_000 });
    return r.stdout.trim();
  }
}

async function startDaemon(ctx: BuildContext, spec: TopologySpec, lan: LanBase): Promise<Daemon> {
  const dir = join(ctx.runDir, 'docker');
  const p = dockerPaths(dir);
  const created = DOCKER_OUTSIDE_PATHS.filter((x) => !existsSync(x));
  ctx.record({ kind: 'docker', netns: lan.hostA, dir, cgroupParent: dockerCgroupParent(ctx.naming.tag), created });
  mkdirSync(p.data, { recursive: true, mode: 0o700 });
  mkdirSync(p.exec, { recursive: true, mode: 0o700 });
  // an empty configuration: a system /etc/docker/daemon.json must not reach this daemon
  writeFileSync(p.config, '{}\n');
  // detached (setsid -f) and writing to its own log: the daemon lives until teardown stops it,
  // also past a `bench topology up` that has printed its summary and exited
  await ctx.exec(undefined, 'setsid', ['-f', 'sh', '-c', 'exec "$@" >"$0" 2>&1 </dev/null', p.log, 'nsenter', ...dockerdArgs(spec, lan.hostA, dir, ctx.naming.tag)]);
  const daemon = new Daemon(p.socket, ctx);
  await waitReady(ctx, p);
  // the ledger names the daemons by pid too (the `docker` entry above stops them and what they made)
  for (const [label, file] of [['dockerd', p.pidfile], ['containerd', join(p.exec, 'containerd', 'containerd.pid')]] as const) {
    const pid = Number(readText(file).trim());
    if (Number.isInteger(pid) && pid > 1) ctx.record({ kind: 'process', netns: lan.hostA, label, pid, startTime: procfs.startTime(pid) ?? '' });
  }
  return daemon;
}

async function waitReady(ctx: BuildContext, p: ReturnType<typeof dockerPaths>): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    if (existsSync(p.socket)) {
      const r = await ctx.runner.run({ program: 'docker', args: ['-H', `unix://${p.socket}`, 'version', '--format', '{{.Server.Version}}'], timeoutMs: 5000 });
      if (succeeded(r)) return;
      last = r.stderr.trim();
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new NetbenchError('BUILD_FAILED', `dockerd did not answer on ${p.socket} within ${READY_TIMEOUT_MS / 1000} s${last ? ` (${last})` : ''}; its log: ${lastLines(readText(p.log), 5)}`);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '(none)';
  }
}

/** A two-megabyte image: busybox with `sh` and `sleep`, imported from the machine's own busybox. */
async function importImage(ctx: BuildContext, daemon: Daemon): Promise<string> {
  const busybox = findOnPath('busybox');
  if (!busybox) throw new NetbenchError('MISSING_TOOL', 'the docker builder needs busybox (Debian package busybox-static) for its image');
  const root = join(ctx.runDir, 'docker', 'image');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(busybox, join(root, 'bin', 'busybox'));
  for (const l of ['sh', 'sleep']) symlinkSync('busybox', join(root, 'bin', l));
  const tarball = join(ctx.runDir, 'docker', 'image.tar');
  await ctx.exec(undefined, 'tar', ['-C', root, '-cf', tarball, '.']);
  const image = `netbench/busybox:${ctx.naming.tag}`;
  await daemon.docker('import', tarball, image);
  return image;
}

/** The Docker network the containers join, made by Docker's own drivers. */
async function makeNetwork(ctx: BuildContext, spec: TopologySpec, lan: LanBase, daemon: Daemon): Promise<{ name: string; fixedAddresses: boolean }> {
  const name = `nb-${ctx.naming.tag}-${spec.name}`;
  if (spec.driver === 'macvlan') {
    await daemon.docker('network', 'create', '-d', 'macvlan', '--subnet', spec.lan.cidr.text, '--gateway', spec.lan.hostA, '-o', `parent=${lan.uplink}`, '-o', `macvlan_mode=${spec.mode!}`, name);
    return { name, fixedAddresses: true };
  }
  if (spec.docker?.network === 'user') {
    const priv = spec.private!;
    const bridge = ctx.naming.ifname('dbr');
    ctx.record({ kind: 'link', netns: lan.hostA, name: bridge });
    await daemon.docker('network', 'create', '-d', 'bridge', '--subnet', priv.cidr.text, '--gateway', priv.gateway, '-o', `com.docker.network.bridge.name=${bridge}`, '-o', `com.docker.network.driver.mtu=${spec.containerMtu}`, name);
    ctx.interfaces.push({ netns: lan.hostA, name: bridge, role: 'dbr', address: `${priv.gateway}/${priv.cidr.prefix}` });
    return { name, fixedAddresses: true };
  }
  // the default bridge (docker0): Docker picks the addresses, in order, from --bip's network
  ctx.interfaces.push({ netns: lan.hostA, name: 'docker0', role: 'dbr', address: `${spec.private!.gateway}/${spec.private!.cidr.prefix}` });
  return { name: 'bridge', fixedAddresses: false };
}

/** `-p hostA:port:containerPort/proto` for the first container: the suite's tool ports and the file's own */
export function publishFlags(spec: TopologySpec, container: string): string[] {
  if (spec.driver !== 'nat') return [];
  return publishedPorts(spec)
    .filter((p) => p.container === container)
    .flatMap((p) => ['-p', `${spec.lan.hostA}:${p.port}:${p.containerPort}/${p.proto}`]);
}

async function runContainer(ctx: BuildContext, spec: TopologySpec, lan: LanBase, daemon: Daemon, net: { name: string; fixedAddresses: boolean }, image: string, c: { name: string; address: string }): Promise<Endpoint> {
  // the container is named like its namespace: nb-<tag>-<topology>-<container>
  const cname = ctx.naming.netns(c.name);
  await daemon.docker('run', '-d', '--name', cname, '--network', net.name, ...(net.fixedAddresses ? ['--ip', c.address] : []), ...publishFlags(spec, c.name), image, 'sh', '-c', CONTAINER_INIT);
  const pid = await daemon.docker('inspect', '-f', '{{.State.Pid}}', cname);
  ctx.record({ kind: 'process', label: `container ${cname}`, pid: Number(pid), startTime: procfs.startTime(Number(pid)) ?? '' });
  const address = await daemon.docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', cname);
  // the container's namespace gets the name every other namespace of the run has
  const ns = cname;
  ctx.record({ kind: 'netns', name: ns });
  await ctx.exec(undefined, 'ip', ['netns', 'attach', ns, pid]);
  for (const [key, value] of NETNS_SYSCTLS) await ctx.sysctl(ns, key, value);
  ctx.interfaces.push({ netns: ns, name: 'eth0', role: c.name, address: `${address}/${spec.driver === 'macvlan' ? spec.lan.prefix : spec.private!.cidr.prefix}` });
  if (spec.driver !== 'macvlan') {
    const h = await hostEnd(ctx, lan.hostA, ns, 'eth0');
    if (h) ctx.interfaces.push({ netns: lan.hostA, name: h, role: `${c.name}h` });
  }
  return { netns: ns, address, ifname: 'eth0' };
}

/** What Docker's user-defined networks (macvlan included) put in every container's namespace. */
export const CONNTRACK_CAVEAT =
  "Docker's embedded DNS resolver put a nat table in the containers' namespaces (DNAT of 127.0.0.11:53): connection tracking is on there, and every packet of the containers goes through it";

export const dockerDriver: Driver = {
  summary: "Docker's own networks (default bridge with -p, user-defined bridge, macvlan) from a dockerd of the run's own",
  needs: ['dockerd', 'docker', 'nsenter', 'setsid', 'tar', 'umount', 'nft'],
  hairpin: (spec) => macvlanDriver.hairpin(spec),
  async build(ctx, spec, lan) {
    await ctx.address(lan.hostA, lan.uplink, spec.lan.hostA, spec.lan.prefix);
    const daemon = await startDaemon(ctx, spec, lan);
    const image = await importImage(ctx, daemon);
    const net = await makeNetwork(ctx, spec, lan, daemon);
    const containers: Endpoint[] = [];
    for (const c of spec.containers) containers.push(await runContainer(ctx, spec, lan, daemon, net, image, c));
    const tables = await ctx.exec(containers[0]!.netns, 'nft', ['list', 'tables']);
    const caveats = [
      ...(/\bnat\b/.test(tables.stdout) ? [CONNTRACK_CAVEAT] : []),
      ...(spec.driver === 'nat' ? [`Docker ${spec.docker?.network === 'user' ? 'user-defined bridge' : 'default bridge (docker0)'}, userland proxy ${spec.docker?.userlandProxy === false ? 'off' : 'on'}: published ports by Docker's iptables DNAT${spec.docker?.userlandProxy === false ? '' : ', docker-proxy for the hairpin and loopback paths'}`] : []),
      ...(spec.driver === 'macvlan' && spec.mode === 'passthru' ? ['macvlan passthru: the child owns the uplink; hostA loses its own use of it'] : []),
    ];
    return { hostAIf: lan.uplink, containers, caveats };
  },
};
