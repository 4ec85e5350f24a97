import { describe, expect, it } from 'vitest';
import { parseIperf3Tcp, parseIperf3Udp } from '../../src/parsers/iperf3.js';
import { parseNetperf } from '../../src/parsers/netperf.js';
import { busySeconds, parseProcStat } from '../../src/parsers/procstat.js';
import { parseEthtoolFeatures } from '../../src/run/env.js';
import { workload } from '../../src/workloads/registry.js';
import { fixtureText } from '../support/fixtures.js';

const fixture = fixtureText;

describe('iperf3 parser (saved real outputs)', () => {
  it('reads a TCP stream: receiver throughput, bytes and retransmits', () => {
    const raw = JSON.parse(fixture('iperf3', 'tcp-stream.json'));
    const r = parseIperf3Tcp(fixture('iperf3', 'tcp-stream.json'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.values['throughput_gbps']).toBeCloseTo(raw.end.sum_received.bits_per_second / 1e9, 9);
    expect(r.values['bytes']).toBe(raw.end.sum_received.bytes);
    expect(r.values['retransmits']).toBe(raw.end.sum_sent.retransmits);
  });
  it('sums four streams', () => {
    const raw = JSON.parse(fixture('iperf3', 'tcp-stream-4.json'));
    expect(raw.end.streams).toHaveLength(4);
    const r = parseIperf3Tcp(fixture('iperf3', 'tcp-stream-4.json'));
    expect(r.ok && r.values['throughput_gbps']).toBeCloseTo(raw.end.sum_received.bits_per_second / 1e9, 9);
  });
  it('reads UDP packets per second received and loss', () => {
    const raw = JSON.parse(fixture('iperf3', 'udp-pps.json'));
    const s = raw.end.sum;
    const r = parseIperf3Udp(fixture('iperf3', 'udp-pps.json'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.values['pps_received']).toBeCloseTo((s.packets - s.lost_packets) / s.seconds, 6);
    expect(r.values['loss_pct']).toBeCloseTo(s.lost_percent, 9);
  });
  it('reports the error iperf3 puts inside its JSON', () => {
    expect(parseIperf3Tcp(fixture('iperf3', 'error-refused.json'))).toEqual({ ok: false, error: 'iperf3: unable to connect to server: Connection refused' });
    expect(parseIperf3Tcp(fixture('iperf3', 'error-busy.json'))).toEqual({ ok: false, error: 'iperf3: the server is busy running a test. try again later' });
  });
  it('flags retransmits and loss above sane bounds', () => {
    const j = JSON.parse(fixture('iperf3', 'tcp-stream.json'));
    j.end.sum_sent.retransmits = Math.ceil((j.end.sum_received.bytes / 1448) * 0.02);
    const r = parseIperf3Tcp(JSON.stringify(j));
    expect(r.ok && r.flags[0]).toMatch(/^high-retransmits/);
    const u = JSON.parse(fixture('iperf3', 'udp-pps.json'));
    u.end.sum.lost_percent = 12.5;
    const ru = parseIperf3Udp(JSON.stringify(u));
    expect(ru.ok && ru.flags[0]).toMatch(/^high-loss: 12.5%/);
  });
  it('rejects empty or non-JSON output', () => {
    expect(parseIperf3Tcp('')).toEqual({ ok: false, error: 'iperf3 printed no JSON' });
    expect(parseIperf3Tcp('{"start": ').ok).toBe(false);
  });
});

describe('netperf parser (saved real outputs)', () => {
  it('reads TCP_RR transaction rate and latency percentiles', () => {
    const r = parseNetperf(fixture('netperf', 'tcp-rr.txt'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // the figures netperf printed in that run (its last line, by column heading)
    expect(r.values).toMatchObject({ tps: 15297.818, p50_us: 66, p90_us: 71, p99_us: 87, mean_us: 65.32 });
  });
  it('reads UDP_RR and TCP_CRR', () => {
    for (const f of ['udp-rr.txt', 'tcp-crr.txt']) {
      const r = parseNetperf(fixture('netperf', f));
      expect(r.ok && r.values['tps']).toBeGreaterThan(0);
    }
  });
  it('turns the "establish control" complaint into an error', () => {
    const r = parseNetperf(fixture('netperf', 'error-no-server.txt'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^netperf: establish control: are you sure there is a netserver listening/);
  });
});

describe('other parsers', () => {
  it('/proc/stat busy CPU-seconds', () => {
    const a = parseProcStat('cpu  100 0 50 1000 10 0 5 0 0 0\ncpu0 1 2 3\n');
    const b = parseProcStat('cpu  200 0 150 1100 10 0 25 0 0 0\n');
    expect(busySeconds(a, b)).toBeCloseTo(2.2, 9);
  });
  it('ethtool -k offloads', () => {
    const f = parseEthtoolFeatures('Features for x:\nrx-checksumming: on\ntx-checksumming: off\n\ttx-checksum-ipv4: off [fixed]\ngeneric-receive-offload: on\n');
    expect(f).toEqual({ 'rx-checksumming': 'on', 'tx-checksumming': 'off', 'generic-receive-offload': 'on' });
  });
});

describe('parsers at their edges (made-up reports, worked by hand)', () => {
  const tcp = (bytes: number, retransmits: number) => JSON.stringify({ end: { sum_sent: { bytes, seconds: 1, bits_per_second: bytes * 8, retransmits }, sum_received: { bytes, seconds: 1, bits_per_second: bytes * 8 } } });
  it('iperf3 TCP flags retransmits above 1% of segments (1448-byte payloads), not at it', () => {
    // 144,800,000 bytes are 100,000 segments: 1,000 retransmits are exactly 1%, 1,001 are above
    expect(parseIperf3Tcp(tcp(144_800_000, 1000))).toMatchObject({ ok: true, flags: [] });
    expect(parseIperf3Tcp(tcp(144_800_000, 1001))).toMatchObject({ ok: true, flags: ['high-retransmits: 1001 for 100000 segments'] });
    expect(parseIperf3Tcp(tcp(144_800_000, 0))).toMatchObject({ ok: true, values: { throughput_gbps: 1.1584, retransmits: 0 }, flags: [] });
    expect(parseIperf3Tcp(JSON.stringify({ end: { sum_received: { bytes: 0, seconds: 1, bits_per_second: 0 } } }))).toEqual({ ok: false, error: 'iperf3: no receiver summary in the JSON' });
  });

  it('iperf3 UDP works loss out from the counts when iperf3 gives no percentage, and flags it above 5%', () => {
    const udp = (packets: number, lost: number, pct?: number) => JSON.stringify({ end: { sum: { seconds: 2, packets, lost_packets: lost, ...(pct === undefined ? {} : { lost_percent: pct }) } } });
    expect(parseIperf3Udp(udp(1000, 50))).toMatchObject({ ok: true, values: { loss_pct: 5, pps_received: 475, pps_sent: 500, packets: 1000, seconds: 2 }, flags: [] });
    expect(parseIperf3Udp(udp(1000, 51))).toMatchObject({ ok: true, values: { loss_pct: 5.1 }, flags: ['high-loss: 5.1% of 1000 packets'] });
    // iperf3's own percentage wins when it gives one
    expect(parseIperf3Udp(udp(1000, 51, 4))).toMatchObject({ ok: true, values: { loss_pct: 4 }, flags: [] });
    expect(parseIperf3Udp(udp(0, 0))).toMatchObject({ ok: true, values: { loss_pct: 0 } });
    expect(parseIperf3Udp('connection refused')).toEqual({ ok: false, error: 'iperf3 printed no JSON: connection refused' });
    expect(parseIperf3Udp('')).toEqual({ ok: false, error: 'iperf3 printed no JSON' });
  });

  it('netperf: a run of no transactions, a short line and a missing header are failures that say what netperf printed', () => {
    const head = fixtureText('netperf', 'tcp-rr.txt').trim().split('\n').at(-2)!;
    expect(parseNetperf(`${head}\n0,0,0,0,0,0,0,1.00\n`)).toEqual({ ok: false, error: "netperf: no transactions completed ('0,0,0,0,0,0,0,1.00')" });
    expect(parseNetperf(`${head}\n15297.8,66\n`)).toMatchObject({ ok: false, error: expect.stringMatching(/^netperf: expected \d+ values, got '15297.8,66'$/) });
    expect(parseNetperf('establish control: are you sure there is a netserver listening?\n')).toEqual({ ok: false, error: 'netperf: establish control: are you sure there is a netserver listening?' });
    expect(parseNetperf('')).toEqual({ ok: false, error: 'netperf: no output' });
    expect(parseNetperf(`${head}\n15297.818,66,71,87,65.32,22.43,0,1.00\n`)).toMatchObject({ ok: true, flags: [] });
  });

  it('netperf answers the selectors the workload asks for, in that order, and each metric is read from its own column', () => {
    // a stand-in for netperf's omni output: it prints one heading and one value per selector named after -o, in the order named
    const heading: Record<string, [string, number]> = {
      TRANSACTION_RATE: ['Transaction Rate Tran/s', 15000], P50_LATENCY: ['50th Percentile Latency Microseconds', 60], P90_LATENCY: ['90th Percentile Latency Microseconds', 70],
      P99_LATENCY: ['99th Percentile Latency Microseconds', 90], MEAN_LATENCY: ['Mean Latency Microseconds', 65], STDDEV_LATENCY: ['Stddev Latency Microseconds', 20],
      LOCAL_TRANSPORT_RETRANS: ['Local Transport Retransmissions', 3], ELAPSED_TIME: ['Elapsed Time (sec)', 1.5],
    };
    const netperf = (argv: string[]) => {
      const asked = argv[argv.indexOf('-o') + 1]!.split(',').map((s) => heading[s] ?? ['?', NaN]);
      return `MIGRATED TCP REQUEST/RESPONSE TEST\n${asked.map(([h]) => h).join(',')}\n${asked.map(([, v]) => v).join(',')}\n`;
    };
    const r = parseNetperf(netperf(workload('tcp-rr').clientArgs('198.18.0.2', 1, undefined)));
    expect(r).toEqual({ ok: true, flags: [], values: { tps: 15000, p50_us: 60, p90_us: 70, p99_us: 90, mean_us: 65, stddev_us: 20, retransmits: 3, seconds: 1.5 } });
  });

  it('netperf: a quoted field is one value, its comma included; a value that is not a number is NaN, not a figure', () => {
    const head = fixtureText('netperf', 'tcp-rr.txt').trim().split('\n').at(-2)!;
    const r = parseNetperf(`${head}\n"15297.818",66,71,"8,7",65.32,x,0,1.00\n`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.values['tps']).toBe(15297.818);
    expect(r.values['p99_us']).toBeNaN();
    expect(r.values['mean_us']).toBe(65.32);
    expect(r.values['stddev_us']).toBeNaN();
    expect(r.values['seconds']).toBe(1);
  });

  it('iperf3: JSON without its summary is a failure that says which summary is missing', () => {
    const tcp = JSON.parse(fixtureText('iperf3', 'tcp-stream.json'));
    delete tcp.end.sum_received;
    expect(parseIperf3Tcp(JSON.stringify(tcp))).toEqual({ ok: false, error: 'iperf3: no receiver summary in the JSON' });
    const udp = JSON.parse(fixtureText('iperf3', 'udp-pps.json'));
    delete udp.end.sum;
    expect(parseIperf3Udp(JSON.stringify(udp))).toEqual({ ok: false, error: 'iperf3: no UDP summary in the JSON' });
  });

  it('/proc/stat: busy is user, nice, system, irq, softirq and steal; the total adds idle and iowait', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const s = parseProcStat('cpu  100 20 30 4000 50 6 7 8 90 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n');
    expect(s).toEqual({ busy: 100 + 20 + 30 + 6 + 7 + 8, total: 171 + 4000 + 50 });
    expect(() => parseProcStat('cpu0 1 2 3\n')).toThrow('/proc/stat has no aggregate cpu line');
  });
});
