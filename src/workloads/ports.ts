/** The suite's own service ports. Under nat they are always published to the first container. */
export const PORTS = {
  probe: 7007,
  iperf3: 5201,
  netperfControl: 12865,
  netperfData: 12866,
} as const;

export const TOOL_PUBLISHED: readonly { proto: 'tcp' | 'udp'; port: number }[] = [
  { proto: 'tcp', port: PORTS.probe },
  { proto: 'tcp', port: PORTS.iperf3 },
  { proto: 'udp', port: PORTS.iperf3 },
  { proto: 'tcp', port: PORTS.netperfControl },
  { proto: 'tcp', port: PORTS.netperfData },
  { proto: 'udp', port: PORTS.netperfData },
];
