/** What a run needs beyond its topologies: the traffic tools, CPU pinning, offload readout, and what an injection uses. */
import type { ToolName } from '../tools.js';
import { toolsFor } from '../topology/needs.js';
import type { RunConfig } from './config.js';

export const TRAFFIC_TOOLS: readonly ToolName[] = ['iperf3', 'netperf', 'netserver', 'taskset', 'ethtool'];

export function runTools(cfg: Pick<RunConfig, 'topologies' | 'inject'>): ToolName[] {
  const inject: ToolName[] = cfg.inject?.kind === 'forward-rules' ? ['iptables'] : cfg.inject?.kind === 'tbf' ? ['tc'] : [];
  return [...new Set([...toolsFor(cfg.topologies), ...TRAFFIC_TOOLS, ...inject])];
}
