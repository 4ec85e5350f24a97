import { describe, expect, it } from 'vitest';
import { parseIperf3Tcp, parseIperf3Udp } from '../../src/parsers/iperf3.js';
import { parseNetperf } from '../../src/parsers/netperf.js';
import { busySeconds, parseProcStat } from '../../src/parsers/procstat.js';
import { parseEthtoolFeatures } from '../../src/run/env.js';
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
