/** What building and checking topologies needs: iproute2 and ping always, plus each driver's own tools. */
import type { ToolName } from '../tools.js';
import { driverFor } from './builders.js';
import type { TopologySpec } from './spec.js';

/** Every topology: ip for the lab, ping for the reachability check. */
export const LAB_TOOLS: readonly ToolName[] = ['ip', 'ping'];

export function toolsFor(specs: readonly TopologySpec[]): ToolName[] {
  return [...new Set<ToolName>([...LAB_TOOLS, ...specs.flatMap((s) => driverFor(s).needs)])];
}
