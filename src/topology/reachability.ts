/**
 * The reachability matrix: what each topology must show (docs/methodology.md has the table), and a
 * measurement of it in a built topology (ping for reachability, a TCP probe for the
 * source address the peer sees and for published ports).
 */
import { describeFailure, type Runner, succeeded } from '../exec/runner.js';
import { nodeScript } from '../locations.js';
import { REACHABILITY_CELLS as CELLS, type ReachabilityCellId, type ReachabilityResult, type ReachabilityValue } from '../results/reachability.js';
import type { BuiltTopology } from './build.js';
import { PORTS } from '../workloads/ports.js';
import type { TrafficPath } from '../workloads/registry.js';
import type { TopologySpec } from './spec.js';

type CellId = ReachabilityCellId;
type CellValue = ReachabilityValue;

export type Expectation = Readonly<Record<CellId, CellValue>>;

/** The expected matrix (docs/methodology.md), per driver and mode. */
export function expectedMatrix(spec: TopologySpec): Expectation {
  const twoContainers = spec.containers.length >= 2;
  const base = { 'c1->peer': 'yes', 'peer->c1': 'yes', 'peer->c1 published': 'n/a', 'c1->c2': twoContainers ? 'yes' : 'n/a', 'hostA->c1': 'yes', 'peer sees c1 as': 'c1' } as const;
  switch (spec.driver) {
    case 'host':
      return { 'c1->peer': 'n/a', 'peer->c1': 'n/a', 'peer->c1 published': 'n/a', 'c1->c2': 'n/a', 'hostA->c1': 'n/a', 'peer sees c1 as': 'n/a' };
    case 'nat':
      return { ...base, 'peer->c1': 'no', 'peer->c1 published': 'yes', 'peer sees c1 as': 'hostA' };
    case 'bridge':
    case 'ovs':
    case 'ptp':
    case 'vxlan':
    case 'ebpf':
      return base;
    case 'ipvlan':
      return { ...base, 'hostA->c1': 'no' };
    case 'macvlan':
      switch (spec.mode) {
        case 'bridge':
          return { ...base, 'hostA->c1': 'no' };
        case 'vepa':
          return base; // c1->c2 and hostA->c1 only through the switch's hairpin
        case 'private':
          return { ...base, 'c1->c2': twoContainers ? 'no' : 'n/a' };
        case 'passthru':
        default:
          return { ...base, 'c1->c2': 'refused', 'hostA->c1': 'no' };
      }
  }
}

export function explainCell(spec: TopologySpec, id: CellId): string {
  if (spec.driver === 'macvlan' && id === 'hostA->c1' && spec.mode === 'bridge') return 'macvlan parent cannot reach its own children';
  if (spec.driver === 'macvlan' && spec.mode === 'vepa' && (id === 'c1->c2' || id === 'hostA->c1')) return 'through the switch hairpin';
  if (spec.driver === 'macvlan' && spec.mode === 'private' && id === 'c1->c2') return 'private isolates siblings even with hairpin';
  if (spec.driver === 'macvlan' && spec.mode === 'passthru' && id === 'c1->c2') return 'second passthru child';
  if (spec.driver === 'nat' && id === 'peer->c1') return 'no route to the private network';
  if (spec.driver === 'ipvlan' && id === 'hostA->c1') return 'ipvlan parent cannot reach its own children';
  if (spec.driver === 'ptp' && (id === 'c1->c2' || id === 'peer->c1')) return 'routed through hostA';
  if (spec.driver === 'ebpf' && (id === 'c1->c2' || id === 'peer->c1')) return 'redirected into the container by tc BPF (bpf_redirect_peer)';
  if (spec.driver === 'ebpf' && id === 'c1->peer') return 'redirected out of the uplink by tc BPF (bpf_redirect_neigh)';
  if (spec.driver === 'vxlan' && (id === 'c1->peer' || id === 'peer->c1')) return 'through the VXLAN tunnel to the peer\'s VTEP';
  return '';
}

async function ping(runner: Runner, netns: string, address: string): Promise<{ value: 'yes' | 'no'; detail: string }> {
  const r = await runner.run({ program: 'ping', args: ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', address], netns, timeoutMs: 5000 });
  const m = /(\d+) received/.exec(r.stdout);
  return { value: succeeded(r) ? 'yes' : 'no', detail: m ? `${m[1]}/2 replies` : describeFailure(r) };
}

export const PROBE_SCRIPT = nodeScript(import.meta.url, '../lab/probe.js');

/** Server in one namespace, client in another; returns the source address the server saw. */
export async function tcpProbe(runner: Runner, server: { netns: string }, client: { netns: string; target: string; port: number }, listenPort: number): Promise<{ seen?: string; detail: string }> {
  const srv = await runner.start({ program: process.execPath, args: [PROBE_SCRIPT, 'server', String(listenPort), '4000'], netns: server.netns, timeoutMs: 6000 });
  try {
    const c = await runner.run({ program: process.execPath, args: [PROBE_SCRIPT, 'client', client.target, String(client.port), '2500'], netns: client.netns, timeoutMs: 5000 });
    const seen = /seen=([\d.]+)/.exec(c.stdout)?.[1];
    return seen ? { seen, detail: `connected, server saw ${seen}` } : { detail: describeFailure(c) };
  } finally {
    await srv.stop(300);
  }
}

/**
 * The same probe with iperf3 at both ends, for a real-host run: the peer machine runs only
 * standard tools, never a script of ours. The server's JSON names the address it saw.
 */
export async function iperf3Probe(runner: Runner, server: { netns: string }, client: { netns: string; target: string; port: number }, listenPort: number): Promise<{ seen?: string; detail: string }> {
  const srv = await runner.start({ program: 'iperf3', args: ['-s', '-1', '-p', String(listenPort), '-J'], netns: server.netns, timeoutMs: 15_000 });
  try {
    for (let i = 0; i < 40; i++) {
      const ss = await runner.run({ program: 'ss', args: ['-Hltn', `sport = :${listenPort}`], netns: server.netns, timeoutMs: 5000 });
      if (ss.stdout.trim() !== '') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const c = await runner.run({ program: 'iperf3', args: ['-c', client.target, '-p', String(client.port), '-n', '64K', '--connect-timeout', '2500'], netns: client.netns, timeoutMs: 8000 });
    if (!succeeded(c)) return { detail: describeFailure(c) };
    const out = await srv.exited;
    const seen = /"remote_host":\s*"([\d.]+)"/.exec(out.stdout)?.[1];
    return seen ? { seen, detail: `connected, server saw ${seen}` } : { detail: 'connected, but the server did not say from where' };
  } finally {
    await srv.stop(300);
  }
}

async function secondPassthruChild(runner: Runner, built: BuiltTopology): Promise<{ value: CellValue; detail: string }> {
  const name = `${built.containers[0]!.ifname}x`.slice(0, 15);
  const r = await runner.run({ program: 'ip', args: ['-n', built.lan.hostA, 'link', 'add', name, 'link', built.lan.uplink, 'type', 'macvlan', 'mode', 'passthru'], timeoutMs: 10_000 });
  if (succeeded(r)) {
    await runner.run({ program: 'ip', args: ['-n', built.lan.hostA, 'link', 'del', name], timeoutMs: 10_000 });
    return { value: 'allowed', detail: 'the kernel accepted a second passthru child' };
  }
  return { value: 'refused', detail: `kernel: ${r.stderr.trim()}` };
}

export async function measureReachability(runner: Runner, built: BuiltTopology): Promise<ReachabilityResult> {
  const spec = built.spec;
  const expected = expectedMatrix(spec);
  const [c1, c2] = built.containers;
  const observed: Partial<Record<CellId, { value: CellValue; detail: string }>> = {};
  const na = { value: 'n/a', detail: '' };
  if (!c1) {
    // host: prove the baseline itself works (hostA <-> peer)
    const p = await ping(runner, built.hostA.netns, built.peer.address);
    for (const id of CELLS) observed[id] = { ...na, detail: id === 'c1->peer' ? `no container; hostA->peer ${p.value} (${p.detail})` : '' };
    if (p.value !== 'yes') observed['c1->peer'] = { value: 'hostA->peer failed', detail: p.detail };
  } else {
    observed['c1->peer'] = await ping(runner, c1.netns, built.peer.address);
    observed['peer->c1'] = await ping(runner, built.peer.netns, c1.address);
    observed['hostA->c1'] = await ping(runner, built.hostA.netns, c1.address);
    if (c2) observed['c1->c2'] = await ping(runner, c1.netns, c2.address);
    else if (spec.driver === 'macvlan' && spec.mode === 'passthru') observed['c1->c2'] = await secondPassthruChild(runner, built);
    else observed['c1->c2'] = na;
    const probe = built.lan.peerHost !== undefined ? iperf3Probe : tcpProbe;
    const src = await probe(runner, { netns: built.peer.netns }, { netns: c1.netns, target: built.peer.address, port: PORTS.probe }, PORTS.probe);
    const who = src.seen === c1.address ? 'c1' : src.seen === built.hostA.address ? 'hostA' : (src.seen ?? 'unreachable');
    observed['peer sees c1 as'] = { value: who, detail: src.detail };
    if (spec.driver === 'nat') {
      const pub = await probe(runner, { netns: c1.netns }, { netns: built.peer.netns, target: built.hostA.address, port: PORTS.probe }, PORTS.probe);
      observed['peer->c1 published'] = { value: pub.seen ? 'yes' : 'no', detail: `${built.hostA.address}:${PORTS.probe} -> ${c1.address}:${PORTS.probe}: ${pub.detail}` };
    } else observed['peer->c1 published'] = na;
  }
  const cells = CELLS.map((id) => {
    const o = observed[id] ?? na;
    const why = explainCell(spec, id);
    return { id, expected: expected[id], observed: o.value, ok: o.value === expected[id], detail: [why, o.detail].filter(Boolean).join('; ') };
  });
  return { topology: spec.name, cells, ok: cells.every((c) => c.ok) };
}

/**
 * On real machines some cells fail because of the hardware between them, not the suite:
 * what that says, and whether the topology can still be measured (c1 and the peer reach
 * each other). Undefined when the failure is not one of these.
 */
export function realHostFinding(spec: TopologySpec, reach: ReachabilityResult): { text: string; measurable: boolean; unreachable: readonly TrafficPath[] } | undefined {
  if (spec.driver !== 'macvlan') return undefined;
  const bad = new Set(reach.cells.filter((c) => !c.ok).map((c) => c.id));
  if (bad.size === 0) return undefined;
  if (bad.has('peer->c1') || bad.has('c1->peer') || bad.has('peer sees c1 as')) {
    return {
      measurable: false,
      unreachable: [],
      text:
        "the peer and c1 do not reach each other, although hostA's own address on the same NIC does (the host topology): the NIC, the switch or a hypervisor drops frames for the macvlan child's MAC address, which is not the NIC's own. " +
        'Allow them: on VMware, promiscuous mode and forged transmits on the port group; on other hypervisors, MAC spoofing or anti-spoofing filters; on a NIC with a MAC filter, promiscuous mode.',
    };
  }
  const needsHairpin = spec.mode === 'vepa' || spec.mode === 'private';
  if (needsHairpin && [...bad].every((id) => id === 'c1->c2' || id === 'hostA->c1')) {
    return {
      measurable: true,
      unreachable: bad.has('c1->c2') ? ['c1-c2'] : [],
      text: `macvlan ${spec.mode} sends ${[...bad].join(' and ')} out to the switch and needs it to send the frames back out of the same port (hairpin, or reflective relay), which most switches do not do; this is a finding about the switch, not a fault of the suite. c1 and the peer reach each other, and that is measured.`,
    };
  }
  return undefined;
}
