/**
 * iperf3 -J output. iperf3 reports some failures inside its JSON ("error"), with an exit
 * status that does not always say so: the JSON is the authority.
 */
import { errorMessage } from '../errors.js';
import { fail, type Parsed } from './types.js';

interface Iperf3Json {
  error?: string;
  start?: { test_start?: { protocol?: string; num_streams?: number } };
  end?: {
    sum_sent?: { bytes?: number; seconds?: number; bits_per_second?: number; retransmits?: number };
    sum_received?: { bytes?: number; seconds?: number; bits_per_second?: number };
    sum?: { seconds?: number; bytes?: number; packets?: number; lost_packets?: number; lost_percent?: number; jitter_ms?: number };
    cpu_utilization_percent?: { host_total?: number; remote_total?: number };
  };
}

/** A TCP segment's payload on a 1500-byte MTU, to turn bytes into segments for the retransmit rate. */
const MSS = 1448;
export const RETRANSMIT_RATE_LIMIT = 0.01;
export const UDP_LOSS_LIMIT_PCT = 5;

function parseJson(stdout: string): Iperf3Json | string {
  const start = stdout.indexOf('{');
  if (start < 0) return `iperf3 printed no JSON${stdout.trim() ? `: ${stdout.trim().slice(0, 200)}` : ''}`;
  try {
    return JSON.parse(stdout.slice(start)) as Iperf3Json;
  } catch (err) {
    return `iperf3 JSON unreadable: ${errorMessage(err)}`;
  }
}

export function parseIperf3Tcp(stdout: string): Parsed {
  const j = parseJson(stdout);
  if (typeof j === 'string') return fail(j);
  if (j.error) return fail(`iperf3: ${j.error}`);
  const recv = j.end?.sum_received;
  const sent = j.end?.sum_sent;
  if (!recv?.bits_per_second || !recv.bytes || !recv.seconds) return fail('iperf3: no receiver summary in the JSON');
  const retransmits = sent?.retransmits ?? 0;
  const segments = recv.bytes / MSS;
  const flags = retransmits / segments > RETRANSMIT_RATE_LIMIT ? [`high-retransmits: ${retransmits} for ${Math.round(segments)} segments`] : [];
  return {
    ok: true,
    values: {
      throughput_gbps: recv.bits_per_second / 1e9,
      bytes: recv.bytes,
      seconds: recv.seconds,
      retransmits,
      sender_cpu_pct: j.end?.cpu_utilization_percent?.host_total ?? NaN,
      receiver_cpu_pct: j.end?.cpu_utilization_percent?.remote_total ?? NaN,
    },
    flags,
  };
}

export function parseIperf3Udp(stdout: string): Parsed {
  const j = parseJson(stdout);
  if (typeof j === 'string') return fail(j);
  if (j.error) return fail(`iperf3: ${j.error}`);
  const s = j.end?.sum;
  if (!s?.seconds || s.packets === undefined || s.lost_packets === undefined) return fail('iperf3: no UDP summary in the JSON');
  const received = s.packets - s.lost_packets;
  const lossPct = s.lost_percent ?? (s.packets > 0 ? (100 * s.lost_packets) / s.packets : 0);
  const flags = lossPct > UDP_LOSS_LIMIT_PCT ? [`high-loss: ${lossPct.toFixed(1)}% of ${s.packets} packets`] : [];
  return {
    ok: true,
    values: {
      pps_received: received / s.seconds,
      pps_sent: s.packets / s.seconds,
      loss_pct: lossPct,
      packets: s.packets,
      seconds: s.seconds,
      jitter_ms: s.jitter_ms ?? NaN,
    },
    flags,
  };
}
