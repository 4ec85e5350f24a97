/**
 * A real-host run's machines in words: which two machines, which NICs, and the physical
 * limit (the slower NIC's line rate) beside the host baseline's throughput.
 */
import type { Results } from '../results/types.js';

export interface MachineLines {
  /** "hostA: this machine, kernel …; peer: …" */
  readonly machines: string;
  /** line rate and the host baseline's share of it, when both are known */
  readonly limit: string;
  readonly tracing: string;
}

export function machineLines(results: Results): MachineLines | undefined {
  const real = results.environment.realHosts;
  if (!real) return undefined;
  const e = results.environment;
  const nic = (m: 'hostA' | 'peer') => real.nics.find((n) => n.machine === m);
  const nicText = (m: 'hostA' | 'peer') => {
    const n = nic(m);
    return n ? `test NIC ${n.name} (${n.driver}${n.firmware ? `, firmware ${n.firmware}` : ''}, ${n.speedMbps !== null ? `${n.speedMbps} Mb/s` : 'speed unknown'})` : 'test NIC unknown';
  };
  const machines = `Two machines: hostA is the machine that ran netbench (kernel ${e.kernel}, ${e.cpuCount} × ${e.cpuModel}), ${nicText('hostA')}; the peer is ${real.peer.host} (kernel ${real.peer.kernel}, ${real.peer.cpuCount} × ${real.peer.cpuModel}), ${nicText('peer')}.`;
  const stream = results.summary.filter((s) => s.topology === 'host' && s.workload === 'tcp-stream' && s.metric === 'throughput_gbps');
  let limit: string;
  if (real.lineRateMbps === null) limit = 'Line rate unknown: a NIC did not report its link speed, so no figure can be set against the physical limit.';
  else {
    const gbps = real.lineRateMbps / 1000;
    const host = stream.flatMap((s) => (s.median === null ? [] : [`${s.path} ${s.median.toFixed(2)} Gb/s (${((s.median / gbps) * 100).toFixed(0)}% of line rate)`]));
    limit = `Physical limit: line rate ${gbps} Gb/s (the slower test NIC's link speed).${host.length ? ` Host baseline tcp-stream: ${host.join(', ')}.` : ' No host tcp-stream figure in this run to set against it.'}`;
  }
  const peerTraced = (results.tracing?.peer?.cells ?? []).some((c) => c.packets > 0);
  const tracing = real.clocksSynchronised
    ? ''
    : peerTraced
      ? "Per-packet steps are given per machine, each timed on its own clock: hostA's (its containers, ending or starting at the test NIC) and the peer's one step at its test NIC. The clocks are not shown to be synchronised, so no one-way time across the machines is claimed."
      : "Per-packet steps are this machine's only (hostA and its containers, ending or starting at the test NIC): the peer was not traced, and its clock is not shown to be synchronised, so no one-way time across the machines is claimed.";
  return { machines, limit, tracing };
}
