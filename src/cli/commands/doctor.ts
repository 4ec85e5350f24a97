/**
 * bench doctor: root, kernel features (tried for real in a scratch namespace of the
 * suite's own), each tool and its version, and the command that installs what is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cniPath } from '../../topology/drivers/cni.js';
import { errorMessage, NetbenchError } from '../../errors.js';
import { describeFailure, succeeded } from '../../exec/runner.js';
import { LOADER, libbpfUnavailable } from '../../trace/libbpf.js';
import { defaultTracer } from '../../trace/tracer.js';
import { Ledger } from '../../lab/ledger.js';
import { Naming, newTag } from '../../lab/names.js';
import { teardown } from '../../lab/teardown.js';
import { TOOL_NAMES, TOOLS, findOnPath, requireRoot, toolVersion } from '../../tools.js';
import { measureNoise, type NoiseProfile } from '../../run/noise.js';
import { table } from '../../util/table.js';
import { quietCheck } from '../../run/interference.js';
import { resolve } from 'node:path';
import type { Runner } from '../../exec/runner.js';
import { checkDestination } from '../../exec/ssh.js';
import { checkNicName, inspectNic, sshDevices } from '../../lab/nic.js';
import { connectPeer, missingOnPeer, NIC_RULE, nicEnv, peerMachine, peerTools, peerTracingUnavailable } from '../../run/peer.js';
import type { Session } from '../session.js';
import { CPU_LATENCY_DEVICE, currentRequestUs, holdCpuLatency, holdHasNoEffect, readIdleRegime } from '../../lab/idle.js';
import { regimeText } from '../../results/idle.js';

/** The idle regime, and whether a run can hold the CPUs out of idle sleep (tried: held, read back, released). */
async function idleChecks(session: Session): Promise<Check[]> {
  const regime = await readIdleRegime(session.runner);
  const noEffect = holdHasNoEffect(regime);
  const checks: Check[] = [{ item: 'CPU idle regime', ok: true, required: false, detail: regimeText(regime) }];
  const hold = holdCpuLatency(0);
  const seen = hold.valueUs !== null ? currentRequestUs() : null;
  hold.release();
  const after = currentRequestUs();
  if (hold.valueUs === null || seen !== 0) {
    const why = hold.reason ?? `the kernel's aggregate request read ${seen ?? 'nothing'} while 0 µs was held`;
    checks.push({ item: `CPU-latency request (${CPU_LATENCY_DEVICE})`, ok: false, required: false, detail: `cannot be held: ${why}; runs go on without it, and request/response figures then include the CPUs' wake-ups`, fix: `run as root on a kernel with PM QoS (${CPU_LATENCY_DEVICE}), or pass --deep-idle to measure without the request on purpose` });
  } else {
    checks.push({ item: `CPU-latency request (${CPU_LATENCY_DEVICE})`, ok: true, required: false, detail: `can be held: a run holds 0 µs while it measures (read back 0, and ${after === null ? '?' : after} once released)${noEffect ? `; but ${noEffect}` : ''}` });
  }
  return checks;
}

export interface Check {
  readonly item: string;
  readonly ok: boolean;
  readonly required: boolean;
  readonly detail: string;
  readonly fix?: string;
}

async function kernelChecks(session: Session): Promise<Check[]> {
  const checks: Check[] = [];
  const runner = session.runner;
  const naming = new Naming(newTag(), 'doctor', 0);
  const ns = naming.netns('probe');
  const ledger = Ledger.create(session.state.ledgers, naming.ledgerId, { tag: naming.tag, topology: 'doctor', pid: process.pid, command: 'bench doctor', createdAt: new Date().toISOString() });
  const tryIt = async (item: string, required: boolean, args: string[][], fix?: string) => {
    let detail = 'works';
    let ok = true;
    for (const a of args) {
      const r = await runner.run({ program: a[0]!, args: a.slice(1), timeoutMs: 10_000 });
      if (!succeeded(r)) {
        ok = false;
        detail = (r.stderr || r.spawnError || `exit ${r.exitCode}`).trim().split('\n').pop() ?? 'failed';
        break;
      }
    }
    checks.push({ item, ok, required, detail, ...(fix && !ok ? { fix } : {}) });
    return ok;
  };
  try {
    ledger.append({ kind: 'netns', name: ns });
    const netnsOk = await tryIt('kernel: network namespaces', true, [['ip', 'netns', 'add', ns]]);
    if (netnsOk) {
      const v = naming.ifname('v0');
      ledger.append({ kind: 'link', netns: ns, name: v });
      await tryIt('kernel: veth', true, [['ip', '-n', ns, 'link', 'add', v, 'type', 'veth', 'peer', 'name', naming.ifname('v1')]]);
      ledger.append({ kind: 'link', netns: ns, name: naming.ifname('br') });
      await tryIt('kernel: bridge', true, [['ip', '-n', ns, 'link', 'add', naming.ifname('br'), 'type', 'bridge']]);
      ledger.append({ kind: 'link', netns: ns, name: naming.ifname('mv') });
      await tryIt('kernel: macvlan', true, [['ip', '-n', ns, 'link', 'add', naming.ifname('mv'), 'link', v, 'type', 'macvlan', 'mode', 'bridge']]);
      await tryIt('kernel: nf_tables NAT', true, [
        ['ip', 'netns', 'exec', ns, 'nft', 'add', 'table', 'ip', 'nbdoctor'],
        ['ip', 'netns', 'exec', ns, 'nft', 'add', 'chain', 'ip', 'nbdoctor', 'post', '{ type nat hook postrouting priority srcnat; }'],
        ['ip', 'netns', 'exec', ns, 'nft', 'add', 'rule', 'ip', 'nbdoctor', 'post', 'masquerade'],
      ], 'a kernel with nf_tables and nft_masq');
      ledger.append({ kind: 'link', netns: ns, name: naming.ifname('vx') });
      await tryIt('kernel: vxlan (the vxlan topology)', false, [['ip', '-n', ns, 'link', 'add', naming.ifname('vx'), 'type', 'vxlan', 'id', '1', 'dstport', '4789', 'dev', v]]);
      ledger.append({ kind: 'link', netns: ns, name: naming.ifname('iv') });
      await tryIt('kernel: ipvlan (the ipvlan topologies: refused without it)', false, [['ip', '-n', ns, 'link', 'add', naming.ifname('iv'), 'link', v, 'type', 'ipvlan', 'mode', 'l2']]);
      await tryIt('kernel: tc tbf qdisc', false, [['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', v, 'root', 'tbf', 'rate', '1gbit', 'burst', '64kb', 'latency', '10ms']]);
    }
  } catch (err) {
    checks.push({ item: 'kernel checks', ok: false, required: true, detail: errorMessage(err) });
  } finally {
    await teardown(ledger, { runner, stateRoot: session.state.root });
  }
  const btf = existsSync('/sys/kernel/btf/vmlinux');
  checks.push({ item: 'kernel: BTF (/sys/kernel/btf/vmlinux)', ok: btf, required: false, detail: btf ? 'present (the compiled observer attaches to BTF tracepoints; bpftrace reads packet headers)' : 'absent: the compiled observer cannot run; bpftrace traces without reading headers' });
  checks.push(...(await observerChecks(runner)));
  const tracefs = existsSync('/sys/kernel/tracing/events/net/net_dev_queue');
  checks.push({
    item: 'kernel: tracefs with net tracepoints',
    ok: tracefs,
    required: false,
    detail: tracefs ? 'mounted (/sys/kernel/tracing)' : 'not mounted: runs go on untraced',
    ...(tracefs ? {} : { fix: 'scripts/setup.sh  (or: mount -t tracefs nodev /sys/kernel/tracing)' }),
  });
  const ovsMod = existsSync('/sys/module/openvswitch');
  checks.push({
    item: 'kernel: openvswitch datapath',
    ok: true,
    required: false,
    detail: ovsMod ? 'present: ovs uses the kernel datapath' : 'absent: ovs falls back to the userspace netdev datapath (slower; stated beside every ovs figure)',
  });
  return checks;
}

/**
 * Which observer a run will use and why, and what the kernel lets the compiled one do:
 * its BTF tracepoint programs load (the loader's --check), and whether fentry is allowed
 * (where it is, the time inside a step could be split further; docs/methodology.md).
 */
export async function observerChecks(runner: Runner): Promise<Check[]> {
  const d = defaultTracer();
  const checks: Check[] = [{ item: 'tracer: the observer a run uses', ok: true, required: false, detail: `${d.name}: ${d.why}` }];
  if (libbpfUnavailable() !== undefined) {
    checks.push({ item: 'tracer: compiled observer (libbpf, tp_btf)', ok: false, required: false, detail: libbpfUnavailable()!, fix: 'scripts/setup.sh  (or: apt-get install clang llvm libbpf-dev bpftool && make -C bench/trace/bpf)' });
    return checks;
  }
  const r = await runner.run({ program: LOADER, args: ['--check'], timeoutMs: 20_000 });
  const { tp, fentry, dispatchNs } = parseLoaderCheck(r.stdout, `not answered (${describeFailure(r)})`);
  checks.push({ item: 'tracer: compiled observer (libbpf, tp_btf)', ok: tp === 'yes', required: false, detail: tp === 'yes' ? 'its programs load on this kernel' : `refused: ${tp}; runs fall back to bpftrace with --tracer bpftrace` });
  if (tp === 'yes' && dispatchNs !== null) checks.push({ item: 'kernel: dispatch from a tracepoint to BPF', ok: true, required: false, detail: `${dispatchNs.toFixed(0)} ns an event, measured with a program that does nothing: what any tracepoint observer costs every packet at every device here, before its own work (docs/methodology.md, "Tracing")` });
  checks.push({ item: 'kernel: fentry (time inside a step)', ok: true, required: false, detail: fentry === 'yes' ? 'allowed: the time inside a step could be split further (not used yet)' : `refused here (${fentry}): steps are timed device to device only` });
  return checks;
}

/**
 * The loader's --check answer: "tp_btf: yes" or "tp_btf: no (<reason>)", the same for
 * fentry, and "dispatch: <ns> ns" when the programs loaded. A line that is missing reads
 * as `missing`; the dispatch as null.
 */
export function parseLoaderCheck(stdout: string, missing: string): { tp: string; fentry: string; dispatchNs: number | null } {
  // "yes", or the reason of a "no (<reason>)"
  const line = (what: string) => stdout.split('\n').find((l) => l.startsWith(`${what}: `))?.slice(what.length + 2).replace(/^no \((.*)\)$/, '$1') ?? missing;
  const d = /^dispatch: (\d+(?:\.\d+)?) ns$/m.exec(stdout);
  return { tp: line('tp_btf'), fentry: line('fentry'), dispatchNs: d ? Number(d[1]) : null };
}

/** What the docker and cni builders need beyond their programs (docs/architecture.md). */
export function builderChecks(): Check[] {
  const filesystems = (() => {
    try {
      return readFileSync('/proc/filesystems', 'utf8');
    } catch {
      return '';
    }
  })();
  const overlay = /\boverlay\b/.test(filesystems);
  const devicesCgroup = existsSync('/sys/fs/cgroup/devices') || existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dockerd = findOnPath('dockerd') !== undefined && findOnPath('busybox') !== undefined;
  const plugins = ['bridge', 'macvlan', 'ptp', 'portmap', 'static'];
  const missing = plugins.filter((p) => !existsSync(join(cniPath(), p)));
  return [
    { item: 'builder docker: dockerd and busybox', ok: dockerd, required: false, detail: dockerd ? 'found' : 'missing: the docker-* topologies cannot be built', ...(dockerd ? {} : { fix: 'scripts/setup.sh (docker.io, busybox-static)' }) },
    { item: 'builder docker: overlayfs', ok: overlay, required: false, detail: overlay ? 'in /proc/filesystems (overlay2 storage)' : 'absent: dockerd cannot store its image' },
    { item: 'builder docker: cgroup mounts', ok: devicesCgroup, required: false, detail: devicesCgroup ? 'the devices controller (v1) or cgroup v2 is mounted' : 'no devices cgroup: dockerd refuses to start' },
    { item: `builder cni: plugins in ${cniPath()}`, ok: missing.length === 0, required: false, detail: missing.length === 0 ? plugins.join(', ') : `missing ${missing.join(', ')}: the cni-* topologies cannot be built`, ...(missing.length === 0 ? {} : { fix: 'scripts/setup.sh (containernetworking-plugins), or NETBENCH_CNI_PATH' }) },
  ];
}

async function toolChecks(session: Session): Promise<Check[]> {
  const out: Check[] = [];
  for (const name of TOOL_NAMES) {
    const info = TOOLS[name];
    const path = findOnPath(name);
    const version = path ? await toolVersion(session.runner, name) : undefined;
    out.push({
      item: `tool: ${name}`,
      ok: path !== undefined,
      required: info.required,
      detail: path ? `${version ?? 'present'} (${info.purpose})` : `missing (${info.purpose})`,
      ...(path ? {} : { fix: `scripts/setup.sh  (or: apt-get install ${info.package.split(' ')[0]}${info.package.includes('non-free') ? ', after enabling the non-free component' : ''})` }),
    });
  }
  return out;
}

/** The peer machine of a real-host run: ssh, root, its kernel and tools, and both test NICs when named. */
async function peerChecks(session: Session, opts: DoctorFlags): Promise<Check[]> {
  const dest = opts.peer!;
  checkDestination(dest);
  const target = { destination: dest, ...(opts.sshConfig !== undefined ? { configFile: resolve(opts.sshConfig) } : {}) };
  const checks: Check[] = [];
  let peer: Awaited<ReturnType<typeof connectPeer>>;
  try {
    peer = await connectPeer(session.runner, target, session.state, newTag(), 'bench doctor --peer');
  } catch (err) {
    return [{ item: `peer: ssh ${dest}`, ok: false, required: true, detail: errorMessage(err), fix: `make 'ssh ${dest} true' work without a prompt, as root, with a key (BatchMode)` }];
  }
  try {
    checks.push({ item: `peer: ssh ${dest}`, ok: true, required: true, detail: 'key login without a prompt, one multiplexed connection' });
    try {
      const m = await peerMachine(peer.remote, dest);
      checks.push({ item: 'peer: root and kernel', ok: true, required: true, detail: `root; kernel ${m.kernel}, ${m.cpuCount} CPUs (${m.cpuModel})` });
    } catch (err) {
      checks.push({ item: 'peer: root', ok: false, required: true, detail: errorMessage(err), fix: `log in to ${dest} as root (User root in the ssh config)` });
    }
    const tools = await peerTools(peer.remote);
    const missing = new Set(missingOnPeer(tools).map((m) => m.split(' ')[0]));
    for (const [t, v] of Object.entries(tools)) {
      const required = t !== 'bpftrace';
      checks.push({
        item: `peer tool: ${t}`,
        ok: v !== null,
        required,
        detail: v ?? (required ? 'missing' : "missing: the peer is not traced (this machine's hops are)"),
        ...(v === null ? { fix: `on ${dest}: ${missing.has(t) ? missingOnPeer(tools).find((m) => m.startsWith(`${t} `))!.replace(/^\S+ \((.*)\)$/, '$1') : 'apt-get install bpftrace'}` } : {}),
      });
    }
    if (tools['bpftrace'] != null) {
      const why = await peerTracingUnavailable(peer.remote, tools);
      checks.push({ item: 'peer: tracing', ok: why === null, required: false, detail: why ?? "BTF and tracefs present: the peer's step at its test NIC is traced", ...(why ? { fix: `on ${dest}: mount -t tracefs nodev /sys/kernel/tracing, or a kernel built with BTF` } : {}) });
    }
    if (opts.uplink !== undefined || opts.peerUplink !== undefined) {
      const ssh = await sshDevices(session.runner, peer.remote);
      const sides: [string | undefined, Runner, string, string | undefined, 'hostA' | 'peer'][] = [
        [opts.uplink, session.runner, 'this machine', ssh.local, 'hostA'],
        [opts.peerUplink, peer.remote, dest, ssh.remote, 'peer'],
      ];
      for (const [nic, runner, where, sshDev, machine] of sides) {
        if (nic === undefined) continue;
        checkNicName(machine === 'hostA' ? '--uplink' : '--peer-uplink', nic);
        const found = await inspectNic(runner, nic, where, sshDev);
        const env = found.state ? await nicEnv(runner, machine, nic) : undefined;
        checks.push({
          item: `test NIC ${nic} on ${where}`,
          ok: found.refusals.length === 0,
          required: true,
          detail: found.refusals.length ? found.refusals.join('; ') : `free to take: driver ${env?.driver ?? '?'}${env?.firmware ? ` (firmware ${env.firmware})` : ''}, ${env?.speedMbps ? `${env.speedMbps} Mb/s` : 'link speed unknown'}`,
          ...(found.refusals.length ? { fix: NIC_RULE } : {}),
        });
      }
    }
  } finally {
    await peer.close();
  }
  return checks;
}

/** What the Allan deviations say: falling with the averaging time is white noise (longer trials help); not falling, level shifts (only pairing close in time helps). */
function allanReading(p: NoiseProfile): string {
  const known = p.allan.filter((a) => Number.isFinite(a.deviation));
  if (known.length < 2) return '';
  const first = known[0]!;
  const last = known[known.length - 1]!;
  return last.deviation >= first.deviation / Math.sqrt(last.tauS / first.tauS) * 2
    ? '(falling far slower than white noise would: the machine moves between levels, and longer trials do not average it away)'
    : '(falling about as white noise does: longer trials average it away)';
}

/** The noise profile, as a terminal report. */
export function noiseReport(p: NoiseProfile): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');
  const lengths = [...new Set(p.spreads.map((s) => s.lengthS))];
  const gaps = [...new Set(p.spreads.map((s) => s.gapS))].sort((a, b) => a - b);
  const cell = (l: number, g: number) => p.spreads.find((s) => Math.abs(s.lengthS - l) < 1e-9 && Math.abs(s.gapS - g) < 1e-9);
  const spread = table(['trial length', ...gaps.map((g) => `gap ${g} s`)], lengths.map((l) => [`${l} s`, ...gaps.map((g) => pct(cell(l, g)?.spread ?? NaN))]));
  const designs = table(['design', 'gap', 'pair spread', 'pairs for ±5%', 'trials a block', 'seconds a lane'], p.designs.map((d) => [d.design, `${d.gapS.toFixed(1)} s`, pct(d.spread), Number.isFinite(d.pairs) ? String(d.pairs) : 'more than 5000', String(d.trialsPerBlock), Number.isFinite(d.seconds) ? d.seconds.toFixed(0) : '-']));
  return [
    `noise profile: host, hostA to peer, one iperf3 stream for ${p.seconds.toFixed(0)} s, a figure every ${p.stepS * 1000} ms (mean ${p.meanGbps.toFixed(1)} Gbit/s)`,
    `Allan deviation: ${p.allan.map((a) => `${pct(a.deviation)} at ${a.tauS} s`).join(', ')} ${allanReading(p)}`,
    '',
    'spread of the log ratio between two measurements, by their length and the time between their starts:',
    spread,
    'what a ±5% verdict on two equal things would need (1 s trials of about 1.1 s, a lane of 8 topologies and 12 comparisons, one comparison at 95%):',
    designs,
  ].join('\n');
}

export interface DoctorFlags {
  readonly json?: boolean;
  /** measure the machine's noise profile for this many seconds instead of the checks */
  readonly noise?: number;
  readonly peer?: string;
  readonly sshConfig?: string;
  readonly uplink?: string;
  readonly peerUplink?: string;
}

export async function doctor(session: Session, opts: DoctorFlags): Promise<number> {
  if (opts.peer === undefined && (opts.uplink !== undefined || opts.peerUplink !== undefined || opts.sshConfig !== undefined)) {
    throw new NetbenchError('USAGE', '--uplink, --peer-uplink and --ssh-config check a real-host setup: give --peer <destination> too');
  }
  if (opts.noise !== undefined) {
    requireRoot();
    const profile = await session.withLock('bench doctor --noise', () => measureNoise(session.runner, session.state, newTag(), opts.noise!, (l) => session.io.err(`${l}\n`)));
    session.io.out(opts.json ? `${JSON.stringify(profile, null, 2)}\n` : `${noiseReport(profile)}\n`);
    return 0;
  }
  const isRoot = typeof process.getuid !== 'function' || process.getuid() === 0;
  const checks: Check[] = [{ item: 'running as root', ok: isRoot, required: true, detail: isRoot ? 'yes' : 'no', ...(isRoot ? {} : { fix: 'run as root (sudo bench doctor)' }) }];
  checks.push({ item: 'node', ok: true, required: true, detail: process.version });
  if (isRoot) checks.push(...(await session.withLock('bench doctor', () => kernelChecks(session))));
  checks.push(...(await toolChecks(session)));
  checks.push(...builderChecks());
  checks.push(...(await idleChecks(session)));
  // under the lock, like a run: a concurrent `bench clean` must not end this check's ssh connection
  if (opts.peer !== undefined) checks.push(...(await session.withLock('bench doctor --peer', () => peerChecks(session, opts))));
  const quiet = await quietCheck(2000);
  checks.push({ item: 'machine quiet (2 s watch of /proc)', ok: quiet.warning === undefined, required: false, detail: quiet.warning ?? `quiet: other processes used ${Math.round(quiet.interference.otherCpuS * 50)}% of a CPU` });
  const missing = checks.filter((c) => !c.ok && c.required);
  if (opts.json) {
    session.io.out(`${JSON.stringify({ ok: missing.length === 0, checks }, null, 2)}\n`);
  } else {
    session.io.out(table(['', 'check', 'detail'], checks.map((c) => [c.ok ? 'ok' : c.required ? 'MISSING' : 'warn', c.item, c.detail])));
    const fixes = [...new Set(checks.filter((c) => !c.ok && c.fix).map((c) => c.fix!))];
    if (fixes.length) session.io.out(`\nto fix:\n${fixes.map((f) => `  ${f}`).join('\n')}\n`);
    session.io.out(missing.length === 0 ? '\nall required checks pass\n' : `\n${missing.length} required check(s) fail\n`);
  }
  return missing.length === 0 ? 0 : 1;
}
