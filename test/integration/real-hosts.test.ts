/**
 * Real-host runs against an emulated second machine (two-hosts.ts): real traffic over
 * the "NICs", every command for the peer over ssh, the safety refusals, a SIGKILL in
 * the middle of a run and `bench clean` giving both NICs back, and a peer lacking tools.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDirs } from '../../src/lab/state.js';
import { esc } from '../../src/report/html.js';
import type { Results } from '../../src/results/types.js';
import { bench, benchBackground } from '../support/cli.js';
import { ourNetns } from '../support/netns.js';
import { waitFor as poll } from '../support/poll.js';
import { sh } from '../support/shell.js';
import { twoHosts, type TwoHosts } from './two-hosts.js';

/** where the suite keeps its state (NETBENCH_STATE_DIR honoured, as the CLI does) */
const STATE = stateDirs();
/** every namespace of ours but the emulated peer machine's own, which lives for the whole file */
const leftNetns = () => ourNetns().filter((n) => n !== hosts.remoteNs);

const linkJson = (args: string[]) => JSON.parse(sh(['ip', '-j', ...args])) as { ifname: string; mtu: number; flags: string[] }[];

/** Poll every 250 ms: this test's own polling must not make the run it watches look busy. */
const waitFor = (pred: () => boolean, timeoutMs: number) => poll(pred, timeoutMs, 250);

let hosts: TwoHosts;
let out: string;
const real = () => ['--uplink', hosts.nic, '--peer', 'remote', '--peer-uplink', hosts.peerNic, '--ssh-config', hosts.sshConfig];

/**
 * What ethtool itself says of a test NIC (driver and link speed), read here rather than
 * written into the tests: the emulated NICs are veths, a real pair would be anything.
 */
function ethtoolFacts(nic: string, netns?: string): { driver: string; speedMbps: number } {
  const run = (args: string[]) => sh(netns ? ['ip', 'netns', 'exec', netns, 'ethtool', ...args] : ['ethtool', ...args]);
  const driver = /^driver: (\S+)/m.exec(run(['-i', nic]))?.[1] ?? '';
  const speedMbps = Number(/Speed: (\d+)Mb\/s/.exec(run([nic]))?.[1]);
  return { driver, speedMbps };
}

/** Both NICs where they started: here and on the remote, with their MTU and down. */
function nicsAreHome(): void {
  const here = linkJson(['link', 'show', 'dev', hosts.nic])[0]!;
  expect(here.mtu).toBe(1500);
  expect(here.flags).not.toContain('UP');
  const there = linkJson(['-n', hosts.remoteNs, 'link', 'show', 'dev', hosts.peerNic])[0]!;
  expect(there.mtu).toBe(1500);
  expect(there.flags).not.toContain('UP');
}

/** No process a run started on either side: servers, the ssh master, bpftrace. */
function noSuiteProcesses(): string[] {
  return sh(['ps', '-eo', 'args'])
    .split('\n')
    .filter((l) => /^(iperf3 -s|netserver|bpftrace)|ControlPath=\/run\/netbench\/ssh/.test(l));
}

beforeAll(() => {
  hosts = twoHosts();
  out = sh(['mktemp', '-d', '/tmp/netbench-real-XXXX']).trim();
});

afterAll(async () => {
  // whatever a failed test left: the suite's own clean gives the NICs back first
  await bench(['clean']);
  hosts?.cleanup();
  sh(['rm', '-rf', out]);
});

describe('a run on two machines over ssh', () => {
  it('doctor --peer finds the peer ready and both NICs free', async () => {
    const r = await bench(['doctor', '--peer', 'remote', '--ssh-config', hosts.sshConfig, '--uplink', hosts.nic, '--peer-uplink', hosts.peerNic]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/all required checks pass/);
    expect(r.stdout).toMatch(/ok\s+peer: ssh remote/);
    expect(r.stdout).toMatch(/ok\s+peer tool: iperf3/);
    expect(r.stdout).toMatch(/ok\s+peer: tracing\s+BTF and tracefs present/);
    const here = ethtoolFacts(hosts.nic);
    expect(r.stdout).toMatch(new RegExp(`ok\\s+test NIC ${hosts.nic} on this machine\\s+free to take: driver ${here.driver}, ${here.speedMbps} Mb/s`));
    expect(r.stdout).toMatch(new RegExp(`ok\\s+test NIC ${hosts.peerNic} on remote\\s+free to take`));
  });

  it('measures every topology on the NICs, traced, and gives both NICs back', async () => {
    const dir = join(out, 'full');
    const r = await bench(['run', ...real(), '--topology', 'host,bridge,macvlan-vepa', '--workload', 'tcp-stream', '--path', 'c1-peer,peer-c1,c1-c2', '--trials', '2', '--traced', '1', '--warmup', '0', '--duration', '0.25', '--out', dir]);
    expect(r.stderr).not.toMatch(/Error|internal/);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    expect(res.status, `${res.statusReason}: ${r.stderr.slice(-1500)}`).toBe('complete');
    // real traffic on both paths, through the emulated wire
    for (const topology of ['host', 'bridge', 'macvlan-vepa']) {
      for (const path of ['c1-peer', 'peer-c1']) {
        const ok = res.trials.filter((t) => t.topology === topology && t.path === path && t.workload === 'tcp-stream' && t.status === 'ok' && !t.warmup);
        expect(ok.length, `${topology} ${path}`).toBeGreaterThanOrEqual(2);
        expect(ok[0]!.metrics['throughput_gbps']!.value).toBeGreaterThan(0.1);
      }
    }
    // vepa's sibling and hostA paths need a hairpinning switch: said as a finding, and c1 <-> peer still measured
    expect(res.notApplicable).toContainEqual({ topology: 'macvlan-vepa', path: 'c1-c2', reason: 'not reachable on this hardware: the switch does not hairpin (see caveats)' });
    expect(res.trials.filter((t) => t.topology === 'bridge' && t.path === 'c1-c2' && t.status === 'ok').length).toBeGreaterThanOrEqual(2);
    expect(res.caveats.join('\n')).toMatch(/macvlan-vepa: macvlan vepa sends c1->c2 and hostA->c1 out to the switch .*\(hairpin, or reflective relay\).* a finding about the switch/);
    // both machines and both NICs in the fingerprint, and the line rate in the report
    const rh = res.environment.realHosts!;
    expect(rh.peer.host).toBe('remote');
    expect(rh.peer.tools['iperf3']).toMatch(/iperf 3/);
    // the CPU-latency request was held on the peer too, for the whole run
    expect(rh.peer.idle?.requestUs).toBe(0);
    // as ethtool reads them on each machine; the line rate is the slower of the two
    const [a, b] = [ethtoolFacts(hosts.nic), ethtoolFacts(hosts.peerNic, hosts.remoteNs)];
    expect(rh.nics.map((n) => [n.machine, n.name, n.driver, n.speedMbps])).toEqual([
      ['hostA', hosts.nic, a.driver, a.speedMbps],
      ['peer', hosts.peerNic, b.driver, b.speedMbps],
    ]);
    expect(rh.lineRateMbps).toBe(Math.min(a.speedMbps, b.speedMbps));
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain(`Physical limit: line rate ${rh.lineRateMbps! / 1000} Gb/s`);
    // the host's stream figures set against it: each path's median as results.json has it. On a busy machine every
    // untraced host trial may be left out as contaminated; the report then says it has no figure, and the test says so too
    const hostStream = res.summary.filter((x) => x.topology === 'host' && x.workload === 'tcp-stream' && x.metric === 'throughput_gbps' && x.median !== null);
    const gbps = rh.lineRateMbps! / 1000;
    const left = res.trials.filter((t) => t.topology === 'host' && t.workload === 'tcp-stream' && !t.warmup && !t.traced && (t.status !== 'ok' || t.contaminated !== undefined));
    if (hostStream.length) {
      const figures = hostStream.map((x) => `${x.path} ${x.median!.toFixed(2)} Gb/s (${((x.median! / gbps) * 100).toFixed(0)}% of line rate)`);
      // the page escapes its text (NIC's becomes NIC&#39;s): compare with the line as the page writes it
      expect(html).toContain(esc(`Physical limit: line rate ${gbps} Gb/s (the slower test NIC's link speed). Host baseline tcp-stream: ${figures.join(', ')}.`));
    } else {
      expect(left.length, 'no host figure although no host trial was left out').toBeGreaterThan(0);
      expect(html).toContain('No host tcp-stream figure in this run to set against it.');
    }
    // this machine's hops: out, ending at the test NIC's transmit; in, starting at its receive
    const hops = (path: string) => res.tracing!.hops.filter((h) => h.topology === 'bridge' && h.path === path).sort((a, b) => a.order - b.order).map((h) => h.hop);
    expect(hops('c1-peer')).toEqual(['c1 tx → c1h rx', 'c1h rx → up tx']);
    expect(hops('peer-c1')).toEqual(['up rx → c1h tx', 'c1h tx → c1 rx']);
    // the peer machine's own sampler: its one step at its NIC, per direction, on its own clock
    const peer = res.tracing!.peer!;
    expect(peer.available).toBe(true);
    for (const topology of ['host', 'bridge', 'macvlan-vepa']) {
      for (const path of ['c1-peer', 'peer-c1']) {
        const c = peer.cells.find((x) => x.topology === topology && x.path === path);
        expect(c?.direction, `${topology} ${path}`).toBe(path === 'c1-peer' ? 'in' : 'out');
        expect(c!.step).toBe(path === 'c1-peer' ? `peer ${hosts.peerNic} rx → application (first copy to the socket's reader)` : `peer ${hosts.peerNic} queued → handed to the driver`);
        // every cell follows packets: the emulated NICs cannot segment (transmit checksumming is off), so the peer's
        // transmit step sees large packets cut in software between queue and driver, and still follows them by IP id
        expect(c!.errors, `${topology} ${path}`).toEqual([]);
        expect(c!.packets, `${topology} ${path}`).toBeGreaterThan(100);
        expect(c!.p99Us!).toBeGreaterThanOrEqual(c!.p50Us!);
      }
    }
    expect(peer.cells.some((c) => c.path === 'c1-c2')).toBe(false);
    const tracedIn = res.trials.find((t) => t.topology === 'bridge' && t.path === 'c1-peer' && t.tracing?.peer);
    expect(tracedIn?.tracing?.peer?.raw).toMatch(/^raw\/\d{4}-bridge-tcp-stream-c1-peer\.peer\.bpftrace\.json$/);
    expect(res.caveats.join('\n')).toMatch(/per-packet times are given per machine, each on its own clock/);
    expect(html).toMatch(/On the peer machine/);
    // c1-peer's servers ran on the remote, in the peer namespace: all gone now, as is the ssh master
    const log = readFileSync(join(dir, 'run.log'), 'utf8');
    expect(log).toMatch(/the test NICs moved between topologies \d+ times/);
    nicsAreHome();
    expect(leftNetns()).toEqual([]);
    expect(noSuiteProcesses()).toEqual([]);
    expect(readdirSync(STATE.ledgers)).toEqual([]);
  });

  it('refuses NICs in use on either machine, naming why, and touches nothing', async () => {
    sh(['ip', 'addr', 'add', '198.18.250.1/30', 'dev', hosts.nic]);
    hosts.remote(['ip', 'link', 'set', hosts.peerNic, 'up']);
    hosts.remote(['ip', 'route', 'add', 'default', 'dev', hosts.peerNic]);
    try {
      const r = await bench(['run', ...real(), '--topology', 'host', '--workload', 'tcp-rr', '--trials', '1', '--no-trace', '--out', join(out, 'refused')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refusing to take the test NICs, nothing was changed on either machine/);
      expect(r.stderr).toContain(`${hosts.nic} on this machine has addresses (198.18.250.1/30)`);
      expect(r.stderr).toContain(`${hosts.peerNic} on remote is the device of the default route (IPv4)`);
      // untouched: the address is still on the NIC here, the route still there
      expect(sh(['ip', '-o', 'addr', 'show', 'dev', hosts.nic])).toContain('198.18.250.1/30');
      expect(hosts.remote(['ip', 'route', 'show', 'default'])).toContain(hosts.peerNic);
      expect(leftNetns()).toEqual([]);
    } finally {
      sh(['ip', 'addr', 'flush', 'dev', hosts.nic]);
      hosts.remote(['ip', 'route', 'del', 'default']);
      hosts.remote(['ip', 'link', 'set', hosts.peerNic, 'down']);
    }
    nicsAreHome();
  });

  it('after SIGKILL mid-run, bench clean gives both NICs back and stops the remote servers and the remote sampler', async () => {
    const dir = join(out, 'killed');
    const child = benchBackground(['run', ...real(), '--topology', 'host,bridge', '--workload', 'tcp-stream', '--path', 'c1-peer', '--trials', '20', '--traced', '20', '--duration', '1', '--out', dir]);
    // wait for a measured trial, then for the server of a later one: on c1-peer it runs on the remote, in the peer namespace
    const log = () => {
      try {
        return readFileSync(join(dir, 'run.log'), 'utf8');
      } catch {
        return '';
      }
    };
    // a failed wait must not leave the run going (it would hold the lock for the next test)
    const stop = async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await child;
    };
    if (!(await waitFor(() => /trial \d+ \S+ tcp-stream c1-peer block 0: ok/.test(log()), 120_000))) await stop();
    // the remote servers, as the ledger has them: host, pid and start time
    const ledgerText = () => {
      try {
        return readdirSync(STATE.ledgers).map((f) => readFileSync(join(STATE.ledgers, f), 'utf8')).join('');
      } catch {
        return '';
      }
    };
    const serverPid = () => {
      const pids = [...ledgerText().matchAll(/"kind":"process","host":"remote","netns":"nb-[a-z0-9]{4}-\w+-peer","label":"iperf3","pid":(\d+)/g)].map((m) => m[1]!);
      return pids.reverse().find((p) => sh(['sh', '-c', `ps -o comm= -p ${p} || true`]).trim() === 'timeout');
    };
    // and the peer's own sampler of a traced trial, also a remote process in the ledger
    const samplerPid = () => {
      const pids = [...ledgerText().matchAll(/"kind":"process","host":"remote","label":"bpftrace on the peer","pid":(\d+)/g)].map((m) => m[1]!);
      return pids.reverse().find((p) => sh(['sh', '-c', `ps -o comm= -p ${p} || true`]).trim() === 'timeout');
    };
    // and the CPU-latency request held on the peer, in the ssh connection's ledger
    const holdPid = () => /"kind":"process","host":"remote","label":"CPU-latency request on the peer","pid":(\d+)/.exec(ledgerText())?.[1];
    const found = await waitFor(() => serverPid() !== undefined && samplerPid() !== undefined, 60_000);
    const server = serverPid();
    const sampler = samplerPid();
    const hold = holdPid();
    await stop();
    expect(found && server !== undefined && sampler !== undefined, `a server and a sampler on the peer (log so far: ${log().slice(-400)})`).toBe(true);
    expect(sh(['ps', '-o', 'pid=', '-p', sampler!]).trim()).toBe(sampler);
    expect(hold, 'the peer hold is in the ledger').toBeDefined();
    expect(sh(['ps', '-o', 'pid=', '-p', hold!]).trim()).toBe(hold);
    // the run is gone; its NICs, namespaces and the remote server are not
    expect(linkJson(['link', 'show']).map((l) => l.ifname)).not.toContain(hosts.nic);
    expect(sh(['ip', '-n', hosts.remoteNs, '-o', 'link', 'show'])).not.toContain(hosts.peerNic);
    expect(sh(['ps', '-o', 'pid=', '-p', server!]).trim()).toBe(server);
    const ledgers = ledgerText();
    expect(ledgers).toMatch(new RegExp(`"kind":"nic","host":"remote","netns":"[^"]+","name":"${hosts.peerNic}","mtu":1500,"up":false`));

    const clean = await bench(['clean']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/tearing down (host|bridge) of run/);
    nicsAreHome();
    expect(leftNetns()).toEqual([]);
    expect(await waitFor(() => sh(['sh', '-c', `ps -o pid= -p ${server} ${sampler} ${hold} || true`]).trim() === '', 5000)).toBe(true);
    expect(noSuiteProcesses()).toEqual([]);
    expect(readdirSync(STATE.ledgers)).toEqual([]);
  });

  it('a peer that lacks a tool is named with the install line, before anything is touched', async () => {
    const r = await bench(['run', '--uplink', hosts.nic, '--peer', 'limited', '--peer-uplink', hosts.peerNic, '--ssh-config', hosts.sshConfig, '--topology', 'host', '--workload', 'tcp-rr', '--trials', '1', '--no-trace', '--out', join(out, 'limited')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the peer limited lacks iperf3 \(apt-get install iperf3\), netperf \(apt-get install netperf after enabling Debian's non-free component\)/);
    expect(leftNetns()).toEqual([]);
    nicsAreHome();
    const doc = await bench(['doctor', '--peer', 'limited', '--ssh-config', hosts.sshConfig]);
    expect(doc.code).toBe(1);
    for (const t of hosts.lacking) expect(doc.stdout).toMatch(new RegExp(`MISSING\\s+peer tool: ${t}\\s+missing`));
    expect(doc.stdout).toContain('on limited: apt-get install iperf3');
    expect(doc.stdout).toMatch(/ok\s+peer: root and kernel/);
  });
});
