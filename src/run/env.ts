/** The environment recorded with every run: machine, tools, and each topology's path settings. */
import { cpus, hostname, release } from 'node:os';
import type { Runner } from '../exec/runner.js';
import type { InterfaceEnv, TopologyEnv } from '../results/types.js';
import { type ToolName, toolVersion } from '../tools.js';
import type { BuiltTopology } from '../topology/build.js';

export const OFFLOAD_KEYS = [
  'rx-checksumming',
  'tx-checksumming',
  'scatter-gather',
  'tcp-segmentation-offload',
  'generic-segmentation-offload',
  'generic-receive-offload',
  'large-receive-offload',
] as const;

export function parseEthtoolFeatures(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([a-z0-9-]+):\s+(on|off)/.exec(line.trim());
    if (m && OFFLOAD_KEYS.some((k) => k === m[1])) out[m[1]!] = m[2]!;
  }
  return out;
}

async function sysctl(runner: Runner, netns: string, key: string): Promise<string | null> {
  const r = await runner.run({ program: 'sysctl', args: ['-n', key], netns, timeoutMs: 5000 });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

export async function topologyEnv(runner: Runner, b: BuiltTopology): Promise<Omit<TopologyEnv, 'teardownMs'>> {
  const interfaces: InterfaceEnv[] = [];
  for (const i of b.interfaces) {
    const r = await runner.run({ program: 'ethtool', args: ['-k', i.name], netns: i.netns, timeoutMs: 5000 });
    interfaces.push({ netns: i.netns, name: i.name, role: i.role, offloads: r.exitCode === 0 ? parseEthtoolFeatures(r.stdout) : {} });
  }
  return {
    name: b.spec.name,
    driver: b.spec.driver,
    mode: b.spec.mode ?? null,
    datapath: b.datapath ?? null,
    builder: b.spec.builder,
    hairpin: b.hairpin,
    ipForward: await sysctl(runner, b.hostA.netns, 'net.ipv4.ip_forward'),
    bridgeNfCallIptables: await sysctl(runner, b.hostA.netns, 'net.bridge.bridge-nf-call-iptables'),
    interfaces,
    caveats: b.caveats,
    buildMs: b.buildMs,
  };
}

export const VERSIONED_TOOLS: readonly ToolName[] = ['ip', 'iperf3', 'netperf', 'ovs-vsctl', 'bpftrace', 'nft', 'ethtool'];

export async function machineEnv(runner: Runner): Promise<{ hostname: string; kernel: string; cpuModel: string; cpuCount: number; node: string; tools: Record<string, string | null> }> {
  const tools: Record<string, string | null> = {};
  for (const t of VERSIONED_TOOLS) tools[t] = (await toolVersion(runner, t)) ?? null;
  const c = cpus();
  return { hostname: hostname(), kernel: release(), cpuModel: c[0]?.model ?? 'unknown', cpuCount: c.length, node: process.version, tools };
}
