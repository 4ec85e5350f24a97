import { resultsSchemaErrors } from '../../src/results/validate.js';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateTracing, type TrialTrace } from '../../src/trace/aggregate.js';
import { cdf, mergeBuckets, parseBpftrace, percentile, total } from '../../src/trace/parse.js';
import { bpftraceArgs, keepFor, lastSeenAt, peerArgs, peerProgram, sampleFor, splitBinary } from '../../src/trace/tracer.js';
import { deviceDirectory, location, parseLinks, splitLocation } from '../../src/trace/devices.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { syntheticResults, trial } from '../support/synthetic.js';
import { fixtureText } from '../support/fixtures.js';
import { scratchDir } from '../support/scratch.js';

const fixture = (f: string) => fixtureText('bpftrace', f);

/** Names locations as the tracer does: by the device directory saved beside the raw output. */
function namer(topology: string): (device: number) => string {
  const dir = JSON.parse(fixture(`${topology}-devices.json`)) as { device: number; name: string; role: string | null }[];
  const by = new Map(dir.map((d) => [d.device, d.role ?? d.name]));
  return (device) => by.get(device) ?? `interface ${device}`;
}

describe('bpftrace output parser (saved real outputs)', () => {
  it('reads the ready line, the end-to-end histogram and every hop, named by role through the device directory', () => {
    const d = parseBpftrace(fixture('bridge-tcp-rr.json'), namer('bridge'));
    expect(d.errors).toEqual([]);
    const n = total(d.e2e);
    expect(n).toBeGreaterThan(1000);
    // the bridge path: c1 -> c1h (veth) -> up (through the bridge) -> switch -> peer
    const devs = new Set(d.hops.flatMap((h) => [h.fromDev, h.toDev]));
    expect([...devs].sort()).toEqual(['c1', 'c1h', 'peer', 'swa', 'swp', 'up']);
    // one clock read per event: the hops add up to the journey
    const hopSum = d.hops.reduce((s, h) => s + h.sumNs, 0);
    expect(hopSum / d.e2eSumNs).toBeCloseTo(1, 2);
    // every journey starts with the sender's transmit
    const first = d.hops.filter((h) => h.fromDev === 'c1' && h.fromEv === 1);
    expect(first.reduce((s, h) => s + total(h.buckets), 0)).toBeGreaterThanOrEqual(n);
  });

  it('a macvlan path has no container veth and no host bridge hop', () => {
    const d = parseBpftrace(fixture('macvlan-vepa-tcp-rr.json'), namer('macvlan-vepa'));
    const devs = new Set(d.hops.flatMap((h) => [h.fromDev, h.toDev]));
    expect(devs.has('c1h')).toBe(false);
    expect(devs.has('dbr')).toBe(false);
    expect(devs.has('up')).toBe(true);
    expect(d.hops.some((h) => h.fromDev === 'c1' && h.toDev === 'up')).toBe(true);
  });

  it('names a location it does not know by its number', () => {
    const d = parseBpftrace(fixture('bridge-tcp-rr.json'), () => 'x');
    expect(new Set(d.hops.map((h) => h.fromDev))).toEqual(new Set(['x']));
    const raw = parseBpftrace(fixture('bridge-tcp-rr.json'));
    expect(raw.hops[0]!.fromDev).toMatch(/^\d+$/);
  });

  it('places percentiles beyond 1 ms with the power-of-two histogram', () => {
    const d = parseBpftrace(fixture('ovs-tcp-stream.json'), namer('ovs'));
    expect(d.e2eLog.length).toBeGreaterThan(0);
    const p99 = percentile(d.e2e, 0.99, d.e2eLog);
    expect(p99).toBeGreaterThan(1000);
  });

  it('computes percentiles and CDFs from linear buckets', () => {
    const b = [{ lowUs: 10, highUs: 11, count: 50 }, { lowUs: 11, highUs: 12, count: 40 }, { lowUs: 20, highUs: 21, count: 10 }];
    expect(percentile(b, 0.5)).toBe(10.5);
    expect(percentile(b, 0.9)).toBe(11.5);
    expect(percentile(b, 0.99)).toBe(20.5);
    expect(cdf(b).map((p) => p.fraction)).toEqual([0.5, 0.9, 1]);
    expect(mergeBuckets([b, b]).map((x) => x.count)).toEqual([100, 80, 20]);
  });

  it('builds bpftrace arguments: program, sender, receivers, sample threshold, and the process whose os.getPriority() splits the data', () => {
    expect(bpftraceArgs('p.bt', { sender: 101, receiver: 203, receiver2: 0 }, 4, '/usr/lib/libuv.so.1', 42)).toEqual(['-f', 'json', 'p.bt', '101', '203', '0', '16384', '/usr/lib/libuv.so.1', '42']);
    expect(keepFor(1)).toBe(65536);
    expect(keepFor(16)).toBe(4096);
    // UDP at an unlimited rate is sampled more sparsely; the TCP workloads share one sample, so one sampler serves them all
    expect(sampleFor('udp-pps')).toBeGreaterThan(sampleFor('tcp-stream'));
    for (const w of ['tcp-stream', 'tcp-stream-4', 'tcp-rr', 'udp-rr', 'tcp-crr']) expect(sampleFor(w), w).toBe(8);
  });

  it('finds the split probe\'s file: libuv when it is a library of its own, else node itself', () => {
    const dir = scratchDir('maps');
    const maps = join(dir, 'maps');
    writeFileSync(maps, '7f00-7f01 r-xp 00000000 08:01 123 /no/such/libuv.so.1.0.3\n7f02-7f03 r-xp 00000000 08:01 9 /usr/lib/libc.so.6\n');
    expect(splitBinary(maps, '/usr/bin/node')).toBe('/no/such/libuv.so.1.0.3');
    writeFileSync(maps, '7f02-7f03 r-xp 00000000 08:01 9 /usr/lib/libc.so.6\n');
    expect(splitBinary(maps, process.execPath)).toBe(realpathSync(process.execPath));
  });

  it('numbers locations so that namespace, interface and event come back apart', () => {
    const loc = location(4026532475, 17, 3);
    expect(loc).toBeLessThan(2 ** 53);
    expect(splitLocation(loc)).toEqual({ device: location(4026532475, 17, 0), event: 3 });
    expect(location(4026532475, 17, 0)).not.toBe(location(4026532476, 17, 0));
    expect(parseLinks('[{"ifindex":1,"ifname":"lo"},{"ifindex":5,"ifname":"abcd-c1h","link_index":4}]')).toEqual([{ ifindex: 1, ifname: 'lo' }, { ifindex: 5, ifname: 'abcd-c1h' }]);
    expect(parseLinks('not json')).toEqual([]);
  });

  it('names every interface of the given namespaces once, each namespace by its inode', async () => {
    const links: Record<string, string> = { 'nb-a': '[{"ifindex":1,"ifname":"lo"},{"ifindex":7,"ifname":"abcd-up"}]', 'nb-b': '[{"ifindex":7,"ifname":"abcd-peer"}]' };
    const runner = new RecordingRunner((spec) => ({ stdout: links[spec.args[2]!] ?? '[]' }));
    const inodes: Record<string, number> = { 'nb-a': 4026532801, 'nb-b': 4026532802 };
    const dir = await deviceDirectory(runner, ['nb-a', 'nb-b', 'nb-a'], (ns) => inodes[ns]!);
    expect(runner.commandLines).toEqual(['ip -j -n nb-a link show', 'ip -j -n nb-b link show']);
    // the same ifindex in two namespaces is two interfaces
    expect(dir.get(location(4026532801, 7, 0))).toEqual({ netns: 'nb-a', name: 'abcd-up' });
    expect(dir.get(location(4026532802, 7, 0))).toEqual({ netns: 'nb-b', name: 'abcd-peer' });
    expect(dir.size).toBe(3);
  });
});

describe('the tracer variants', () => {
  it('are the program with one technique undone, written from it: none is out of date', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'trace-variants.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('tracing aggregation', () => {
  it('orders hops along the path, names them by role, and measures the overhead', () => {
    const data = parseBpftrace(fixture('bridge-tcp-rr.json'), namer('bridge'));
    const trace: TrialTrace = { index: 99, topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer', sender: 'c1', receiver: 'peer', sample: 1, raw: 'raw/x.json', data };
    const trials = [0, 1, 2, 3].map((b) => trial('bridge', b, 15000 + b * 10));
    // traced trials in blocks 0-2, each paired with its block's untraced trial
    const traced = [0, 1, 2].map((b) => ({ ...trial('bridge', b, 11000 + b * 100), index: 99 + b, traced: true }));
    const res = aggregateTracing(syntheticResults([...trials, ...traced]), [trace], { program: '/x/bench/trace/path-latency.bt', available: true, reason: null });
    const t = res.tracing!;
    const cell = t.cells[0]!;
    expect(cell.hops.filter((h) => h.onPath).map((h) => h.hop)).toEqual(['c1 tx → c1h rx', 'c1h rx → up tx', 'up tx → swa rx', 'swa rx → swp tx', 'swp tx → peer rx']);
    expect(cell.hopMeanSumUs / (cell.meanUs ?? NaN)).toBeCloseTo(1, 2);
    const logs = [0, 1, 2].map((b) => Math.log((11000 + b * 100) / (15000 + b * 10)));
    expect(cell.overhead?.pairs).toBe(3);
    expect(cell.overhead?.ratio).toBeCloseTo(Math.exp(logs.reduce((s, x) => s + x, 0) / 3), 6);
    expect(cell.overhead?.ratioHigh).toBeLessThan(0.95);
    expect(cell.overhead?.kind).toBe('slower');
    expect(t.program).toBe('bench/trace/path-latency.bt');
    expect(t.hops.filter((h) => h.topology === 'bridge').every((h) => h.p99Us === null || h.p99Us >= (h.medianUs ?? 0))).toBe(true);
    expect(res.trials.find((x) => x.index === 99)?.tracing?.packets).toBe(total(data.e2e));
    expect(resultsSchemaErrors(JSON.parse(JSON.stringify(res)))).toEqual([]);
    expect(res.caveats.some((c) => c.startsWith('tracing bridge tcp-rr c1-peer: tracing slowed the traffic (95% interval'))).toBe(true);
  });
});

describe("a real-host run's peer machine", () => {
  // saved outputs of bench/trace/peer-half.bt on a veth "NIC" at location 6811549704: in (iperf3 to it), out (iperf3 from it)
  const nic = (device: number) => (device === 6811549704 ? 'peer nbtB' : `interface ${device}`);
  const peerIn = parseBpftrace(fixture('peer-in.json'), nic);
  const peerOut = parseBpftrace(fixture('peer-out.json'), nic);
  const cell = (topology: string, path: 'c1-peer' | 'peer-c1', index: number) => ({ index, topology, workload: 'tcp-stream' as const, path, sample: 8, nic: 'peer nbtB' });

  it('reads the peer sampler: one step per packet, and drops at its NIC with their reason', () => {
    expect(peerIn.ready).toBe(true);
    expect(peerIn.hops).toEqual([]);
    expect(total(peerIn.e2e)).toBeGreaterThan(1000);
    expect(peerIn.drops.every((d) => d.dev === 'peer nbtB' && d.ev === 0)).toBe(true);
    expect(total(peerOut.e2e)).toBeGreaterThan(1000);
    // the queue-to-driver step on an idle queue is about a microsecond; the receive stack and socket queue is longer
    expect(percentile(peerOut.e2e, 0.5)).toBeLessThan(percentile(peerIn.e2e, 0.5));
  });

  it('sends the program text with its NIC, direction and sample threshold', () => {
    expect(peerArgs('BEGIN {}', 6811549704, 'in', 8)).toEqual(['-f', 'json', '-e', 'BEGIN {}', '6811549704', '1', '8192']);
    expect(peerArgs('BEGIN {}', 6811549704, 'out', 64)).toEqual(['-f', 'json', '-e', 'BEGIN {}', '6811549704', '2', '1024']);
  });

  it("keeps the peer's figures per machine: its own cells, the trial's own record, and no figure across the wire", () => {
    const trials = [0, 1].flatMap((b) => [trial('host', b, 9000), { ...trial('host', b, 8800), index: 50 + b, traced: true }]).map((t) => ({ ...t, path: 'c1-peer' as const }));
    const outTrials = [{ ...trial('host', 0, 9000), index: 60, traced: true, path: 'peer-c1' as const }, { ...trial('bridge', 0, 9000), index: 61, traced: true, path: 'c1-peer' as const }];
    const here = (index: number, path: 'c1-peer' | 'peer-c1', topology = 'host'): TrialTrace => ({ index, topology, workload: 'tcp-stream', path, sender: 'c1', receiver: 'peer', sample: 8, raw: null, error: 'the journey on this machine is the test NIC alone: no step here to time' });
    const res = aggregateTracing(syntheticResults([...trials, ...outTrials]), [here(50, 'c1-peer'), here(51, 'c1-peer'), here(60, 'peer-c1'), here(61, 'c1-peer', 'bridge')], {
      program: '/x/bench/trace/path-latency.bt',
      available: true,
      reason: null,
      peer: {
        program: '/x/bench/trace/peer-half.bt',
        available: true,
        reason: null,
        traces: [
          { ...cell('host', 'c1-peer', 50), direction: 'in', raw: 'raw/0050.peer.json', data: peerIn },
          { ...cell('host', 'c1-peer', 51), direction: 'in', raw: 'raw/0051.peer.json', data: peerIn },
          { ...cell('host', 'peer-c1', 60), direction: 'out', raw: 'raw/0060.peer.json', data: peerOut },
          { ...cell('bridge', 'c1-peer', 61), direction: 'in', raw: null, error: 'on the peer, bpftrace did not attach: no BTF' },
        ],
      },
    });
    const peer = res.tracing!.peer!;
    expect(peer.program).toBe('bench/trace/peer-half.bt');
    const inCell = peer.cells.find((c) => c.topology === 'host' && c.path === 'c1-peer')!;
    expect(inCell.direction).toBe('in');
    expect(inCell.step).toBe("peer nbtB rx → application (first copy to the socket's reader)");
    expect(inCell.tracedTrials).toBe(2);
    expect(inCell.packets).toBe(2 * total(peerIn.e2e));
    expect(inCell.meanUs).toBeCloseTo(peerIn.e2eSumNs / total(peerIn.e2e) / 1000, 6);
    expect(inCell.p50Us).toBe(percentile(peerIn.e2e, 0.5, peerIn.e2eLog));
    expect(inCell.drops.map((d) => d.dev)).toEqual(peerIn.drops.map(() => 'peer nbtB'));
    expect(peer.cells.find((c) => c.path === 'peer-c1')?.step).toBe('peer nbtB queued → handed to the driver');
    expect(peer.cells.find((c) => c.topology === 'bridge')).toMatchObject({ packets: 0, p50Us: null, errors: ['on the peer, bpftrace did not attach: no BTF'] });
    // the trial's own record: this machine's part (none here) and the peer's
    const t50 = res.trials.find((t) => t.index === 50)!.tracing!;
    expect(t50.error).toMatch(/test NIC alone/);
    expect(t50.peer).toMatchObject({ raw: 'raw/0050.peer.json', packets: total(peerIn.e2e) });
    // this machine's cells carry no peer step: nothing adds the two clocks together
    expect(res.tracing!.hops).toEqual([]);
    const caveats = res.caveats.join('\n');
    expect(caveats).toContain('tracing on the peer, bridge tcp-stream c1-peer: on the peer, bpftrace did not attach: no BTF');
    expect(caveats).toMatch(/per-packet times are given per machine, each on its own clock/);
    expect(resultsSchemaErrors(JSON.parse(JSON.stringify(res)))).toEqual([]);
  });

  it('says so when the peer could not be traced at all', () => {
    const res = aggregateTracing(syntheticResults([trial('host', 0, 9000)]), [], { program: 'p', available: true, reason: null, peer: { program: 'q', available: false, reason: 'bpftrace is not installed on the peer (apt-get install bpftrace there)', traces: [] } });
    expect(res.tracing!.peer).toMatchObject({ available: false, cells: [] });
    expect(res.caveats).toContain('the peer machine was not traced: bpftrace is not installed on the peer (apt-get install bpftrace there); its figures are this machine\'s alone');
    expect(res.caveats.join('\n')).not.toMatch(/each on its own clock/);
  });
});

describe('the peer program as sent', () => {
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'bench', 'trace', 'peer-half.bt'), 'utf8');
  const probes = (t: string) => t.split('\n').filter((l) => /^[A-Za-z]/.test(l));
  it('carries only the probes of its direction, and no comment', () => {
    expect(probes(peerProgram(text, 'in'))).toEqual(['BEGIN', 'tracepoint:net:netif_receive_skb', 'tracepoint:skb:skb_copy_datagram_iovec', 'tracepoint:skb:kfree_skb', 'END']);
    expect(probes(peerProgram(text, 'out'))).toEqual(['BEGIN', 'tracepoint:net:net_dev_queue', 'tracepoint:net:net_dev_start_xmit', 'tracepoint:skb:kfree_skb', 'END']);
    for (const d of ['in', 'out'] as const) {
      expect(peerProgram(text, d)).not.toMatch(/\/\*|\*\//);
      // braces still pair up after the cut
      const t = peerProgram(text, d);
      expect(t.split('{').length).toBe(t.split('}').length);
    }
  });
});

describe('where a journey into a container is last seen', () => {
  const built = (driver: string) => ({
    spec: { driver } as never,
    lan: { hostA: 'h', peerNs: 'p', uplink: 'up0', peerIf: 'pe0' },
    containers: [
      { netns: 'c1ns', address: '198.19.0.11', ifname: 'c1if' },
      { netns: 'c2ns', address: '198.19.0.12', ifname: 'c2if' },
    ],
    interfaces: [
      { netns: 'h', name: 'up0', role: 'up' },
      { netns: 'h', name: 'c1h0', role: 'c1h' },
      { netns: 'c1ns', name: 'c1if', role: 'c1' },
      { netns: 'h', name: 'c2h0', role: 'c2h' },
      { netns: 'c2ns', name: 'c2if', role: 'c2' },
    ],
  });
  it('macvlan: the parent\'s receive, whoever sends; ebpf: the receive that redirects, the uplink\'s from outside and the sender\'s host-side veth\'s from a container', () => {
    expect(lastSeenAt(built('macvlan'), { netns: 'p' }, { netns: 'c1ns' })).toEqual({ netns: 'h', name: 'up0' });
    expect(lastSeenAt(built('macvlan'), { netns: 'c2ns' }, { netns: 'c1ns' })).toEqual({ netns: 'h', name: 'up0' });
    expect(lastSeenAt(built('ebpf'), { netns: 'p' }, { netns: 'c1ns' })).toEqual({ netns: 'h', name: 'up0' });
    expect(lastSeenAt(built('ebpf'), { netns: 'c1ns' }, { netns: 'c2ns' })).toEqual({ netns: 'h', name: 'c1h0' });
    expect(lastSeenAt(built('ebpf'), { netns: 'c2ns' }, { netns: 'c1ns' })).toEqual({ netns: 'h', name: 'c2h0' });
  });
  it('nowhere else: a packet to the peer, and the styles whose container receives it itself', () => {
    expect(lastSeenAt(built('ebpf'), { netns: 'c1ns' }, { netns: 'p' })).toBeUndefined();
    expect(lastSeenAt(built('macvlan'), { netns: 'c1ns' }, { netns: 'p' })).toBeUndefined();
    for (const d of ['ptp', 'bridge', 'nat', 'ovs']) expect(lastSeenAt(built(d), { netns: 'p' }, { netns: 'c1ns' }), d).toBeUndefined();
  });
});
