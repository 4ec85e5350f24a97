/**
 * The external programs netbench uses: which Debian package brings each, how to ask
 * its version, and whether the suite can work without it.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { NetbenchError } from './errors.js';
import type { Runner } from './exec/runner.js';

export interface ToolInfo {
  readonly package: string;
  readonly versionArgs: readonly string[];
  /** what needs it, for doctor's output */
  readonly purpose: string;
  readonly required: boolean;
}

export const TOOLS = {
  ip: { package: 'iproute2', versionArgs: ['-V'], purpose: 'namespaces, links, addresses', required: true },
  bridge: { package: 'iproute2', versionArgs: ['-V'], purpose: 'bridge ports', required: true },
  ping: { package: 'iputils-ping', versionArgs: ['-V'], purpose: 'reachability checks', required: true },
  nft: { package: 'nftables', versionArgs: ['--version'], purpose: 'nat topology rules', required: true },
  iptables: { package: 'iptables', versionArgs: ['--version'], purpose: 'gate regression injection (FORWARD rules)', required: false },
  ethtool: { package: 'ethtool', versionArgs: ['--version'], purpose: 'offload settings', required: true },
  taskset: { package: 'util-linux', versionArgs: ['--version'], purpose: 'CPU pinning', required: true },
  iperf3: { package: 'iperf3', versionArgs: ['--version'], purpose: 'stream and UDP workloads', required: true },
  netperf: { package: 'netperf (Debian non-free)', versionArgs: ['-V'], purpose: 'request/response workloads', required: true },
  netserver: { package: 'netperf (Debian non-free)', versionArgs: ['-V'], purpose: 'request/response workloads', required: true },
  'ovsdb-tool': { package: 'openvswitch-switch', versionArgs: ['--version'], purpose: 'ovs topology', required: true },
  'ovsdb-server': { package: 'openvswitch-switch', versionArgs: ['--version'], purpose: 'ovs topology', required: true },
  'ovs-vswitchd': { package: 'openvswitch-switch', versionArgs: ['--version'], purpose: 'ovs topology', required: true },
  'ovs-vsctl': { package: 'openvswitch-switch', versionArgs: ['--version'], purpose: 'ovs topology', required: true },
  bpftrace: { package: 'bpftrace', versionArgs: ['--version'], purpose: 'per-packet tracing (runs go on untraced without it)', required: false },
  tc: { package: 'iproute2', versionArgs: ['-V'], purpose: 'gate regression injection (TBF)', required: false },
  dockerd: { package: 'docker.io', versionArgs: ['--version'], purpose: 'docker builder (a daemon of the run\'s own)', required: false },
  docker: { package: 'docker.io', versionArgs: ['--version'], purpose: 'docker builder', required: false },
  nsenter: { package: 'util-linux', versionArgs: ['--version'], purpose: 'docker builder (starts dockerd in hostA\'s namespace)', required: false },
  setsid: { package: 'util-linux', versionArgs: ['--version'], purpose: 'docker builder (dockerd detached from the command that started it)', required: false },
  tar: { package: 'tar', versionArgs: ['--version'], purpose: 'docker builder (its busybox image)', required: false },
  umount: { package: 'mount', versionArgs: ['--version'], purpose: 'docker builder teardown (its layers)', required: false },
  busybox: { package: 'busybox-static', versionArgs: ['--help'], purpose: 'docker builder (its image)', required: false },
  chromium: { package: 'chromium', versionArgs: ['--version'], purpose: 'browser check of reports', required: false },
} as const satisfies Record<string, ToolInfo>;

export type ToolName = keyof typeof TOOLS;

export function isToolName(x: string): x is ToolName {
  return Object.hasOwn(TOOLS, x);
}

export const TOOL_NAMES: readonly ToolName[] = Object.keys(TOOLS).filter(isToolName);

export function findOnPath(program: string, pathEnv = process.env['PATH'] ?? ''): string | undefined {
  const dirs = [...pathEnv.split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const full = join(dir, program);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function installHint(tool: ToolName): string {
  const pkg = TOOLS[tool].package;
  return `install it with: scripts/setup.sh (or apt-get install ${pkg.split(' ')[0]}${pkg.includes('non-free') ? ' after enabling Debian\'s non-free component' : ''})`;
}

/** Throw MISSING_TOOL naming the first missing program and how to install it. */
export function requireTools(tools: readonly ToolName[], find: (program: string) => string | undefined = findOnPath): void {
  for (const t of tools) {
    if (!find(t)) throw new NetbenchError('MISSING_TOOL', `required tool '${t}' (${TOOLS[t].purpose}) is not installed; ${installHint(t)}`);
  }
}

export async function toolVersion(runner: Runner, tool: ToolName): Promise<string | undefined> {
  if (!findOnPath(tool)) return undefined;
  return versionIn(await runner.run({ program: tool, args: [...TOOLS[tool].versionArgs], timeoutMs: 5000 }));
}

/** The version line a tool printed for its version flag ('present' when it printed none but succeeded). */
export function versionIn(r: { readonly stdout: string; readonly stderr: string; readonly exitCode: number | null }): string | undefined {
  const text = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find((l) => /\d+\.\d+/.test(l) && !/warning/i.test(l));
  return text ?? (r.exitCode === 0 ? 'present' : undefined);
}

export function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new NetbenchError('NOT_ROOT', 'netbench must run as root: it creates network namespaces (try: sudo bench ...)');
  }
}

/** Root and every named tool, checked before anything is created. */
export function preflight(tools: readonly ToolName[]): void {
  requireRoot();
  requireTools(tools);
}
