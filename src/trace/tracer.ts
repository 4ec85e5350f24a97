/**
 * Tracing trials with a sampler: the compiled observer (trace/libbpf.ts, the default where
 * the kernel has BTF) or bpftrace; one tracer class drives both (its name is bpftrace's,
 * from before there was a choice). The sampler starts before the traffic and is confirmed
 * attached (its ready line) before the client starts. It stays attached across the
 * traced trials of one topology and path that run in a row, so its start-up is paid
 * once: around each trial the suite asks it to print and clear its maps (bpftrace: a call that
 * its uprobe watches; the compiled observer: SIGUSR1), which splits the data per trial. It is stopped before any untraced trial. The kernel side speaks
 * in location numbers; the suite names them from the interfaces it created
 * (trace/devices.ts). Raw output is kept; a sampler that cannot attach is a recorded
 * reason, never a hung run.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { delay } from '../util/delay.js';
import { type BackgroundProcess, type CommandResult, lastLines, type Runner } from '../exec/runner.js';
import { Ledger, processEntry } from '../lab/ledger.js';
import { BENCH_DIR } from '../locations.js';
import type { RunStore } from '../results/store.js';
import type { Cell, Results } from '../results/types.js';
import { resolveRoute } from '../topology/routes.js';
import { findOnPath } from '../tools.js';
import type { BuiltTopology } from '../topology/build.js';
import { aggregateTracing, type PeerTrace, type TrialTrace } from './aggregate.js';
import { deviceDirectory, type DeviceRef, location, netnsInode, parseLinks, RX, TX } from './devices.js';
import { BPF_PROGRAM, LOADER, libbpfArgs, libbpfUnavailable, type LibbpfVariant, parseLoader } from './libbpf.js';
import { parseBpftrace } from './parse.js';

export const TRACE_PROGRAM = join(BENCH_DIR, 'trace', 'path-latency.bt');
/** The peer machine's half of a real-host run, sent to it on the command line. */
export const PEER_PROGRAM = join(BENCH_DIR, 'trace', 'peer-half.bt');
const TRACEPOINT_DIR = '/sys/kernel/tracing/events/net';

/** The observers: compiled BPF programs on BTF tracepoints loaded with libbpf (the default where the kernel has BTF), or bpftrace. */
export const TRACERS = ['libbpf', 'bpftrace'] as const;
export type TracerName = (typeof TRACERS)[number];

/** The observer a run uses when none is named: the compiled one where it can run, bpftrace otherwise; and why. */
export function defaultTracer(): { readonly name: TracerName; readonly why: string } {
  const no = libbpfUnavailable();
  if (no === undefined) return { name: 'libbpf', why: 'the kernel has BTF and the compiled observer is built: BTF tracepoints cost less per event than bpftrace\'s classic ones' };
  return { name: 'bpftrace', why: `the compiled observer cannot run: ${no}` };
}

/** Why tracing with the named observer cannot run here, or undefined when it can. */
export function observerUnavailable(name: TracerName): string | undefined {
  return name === 'libbpf' ? libbpfUnavailable() : tracingUnavailable();
}

/** Why tracing with bpftrace cannot run here, or undefined when it can. */
export function tracingUnavailable(): string | undefined {
  if (!findOnPath('bpftrace')) return 'bpftrace is not installed (scripts/setup.sh installs it)';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'the kernel has no BTF (/sys/kernel/btf/vmlinux): packet headers cannot be read';
  if (!existsSync(join(TRACEPOINT_DIR, 'net_dev_queue'))) return 'tracefs is not mounted at /sys/kernel/tracing (scripts/setup.sh mounts it: mount -t tracefs nodev /sys/kernel/tracing)';
  return undefined;
}

/**
 * One packet in N is followed, chosen on a hash of its IP id before any other work.
 * A followed packet costs map work at every event; one not followed costs only the
 * tracepoint and three reads. 1 in 8 still follows thousands of packets per
 * trial, enough for a P99 per step (docs/methodology.md). Every TCP workload shares it,
 * so that one sampler serves a topology's traced trials in a row (the sample is one of
 * the sampler's arguments); UDP at an unlimited packet rate needs a sparser one.
 */
export function sampleFor(workload: string): number {
  return workload === 'udp-pps' ? 64 : 8;
}

/** The program's threshold for a sample of 1 in n: packets whose 16-bit hash is below it are followed. */
export function keepFor(sample: number): number {
  return Math.floor(65536 / Math.max(1, sample));
}

/** The file holding uv_os_getpriority for this process (libuv, or node itself when libuv is built in): the split probe's target. */
export function splitBinary(maps = '/proc/self/maps', exe = process.execPath): string {
  let text = '';
  try {
    text = readFileSync(maps, 'utf8');
  } catch {
    // no /proc: fall back to the executable
  }
  const lib = text.split('\n').map((l) => l.trim().split(/\s+/)[5] ?? '').find((p) => /\/libuv\.so(\.|$)/.test(p));
  try {
    return realpathSync(lib ?? exe);
  } catch {
    return lib ?? exe;
  }
}

/** Wraps one trial's client run (tracing attaches around it); must call `run`. */
export type AroundClient = (run: () => Promise<CommandResult>) => Promise<CommandResult>;

/** What a run needs from an observer: whether it can trace, a wrapper per traced trial, and a fold into results. */
export interface Tracer {
  readonly available: boolean;
  readonly reason: string | null;
  /** a wrapper for one trial's client run, or undefined to run it untraced */
  forTrial(built: BuiltTopology, trial: Cell & { readonly index: number }, store: RunStore): AroundClient | undefined;
  /** stop any sampler left attached: before an untraced trial, and when the run ends */
  release(): Promise<void>;
  /** fold the tracing data into results at the end */
  finish(results: Results): Results;
}

export interface BpftraceTracerOptions {
  /** which observer samples (default bpftrace); the peer machine of a real-host run is always traced with bpftrace */
  readonly backend?: TracerName;
  /** the compiled observer's variant (trace/libbpf.ts): full, attached-only, no-stats or stats-always */
  readonly variant?: LibbpfVariant;
  /** how the compiled observer is told to split (SIGUSR1 to its pid); tests stand in for it */
  readonly signal?: (pid: number) => void;
  readonly program?: string;
  readonly readyTimeoutMs?: number;
  /** a namespace's inode (tests stand in for /run/netns) */
  readonly inode?: (netns: string) => number;
  /** a real-host run: commands on the peer machine, and why it cannot be traced (null when it can) */
  readonly peer?: { readonly runner: Runner; readonly reason: string | null };
}

/** Where a trial's packets start and end, as the program's location numbers (trace/devices.ts). */
export interface Endpoints {
  readonly sender: number;
  readonly receiver: number;
  /** a second place the journey may end (0 for none) */
  readonly receiver2: number;
}

/** The sampler's arguments; the last two name this process, whose os.getPriority() calls split the data between trials. */
export function bpftraceArgs(program: string, ends: Endpoints, sample: number, binary = splitBinary(), pid = process.pid): string[] {
  return ['-f', 'json', program, String(ends.sender), String(ends.receiver), String(ends.receiver2), String(keepFor(sample)), binary, String(pid)];
}

/**
 * The peer program as sent: without its comments, and without the probes of the other
 * direction (each is guarded by `/$2 == 1/` or `/$2 == 2/`), which would otherwise
 * run on every packet of the peer only to return.
 */
export function peerProgram(text: string, direction: 'in' | 'out'): string {
  const other = direction === 'in' ? '2' : '1';
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split(/\n}\n/)
    .filter((block) => !block.includes(`/$2 == ${other}/`))
    .join('\n}\n')
    .replace(/\n\s*\n+/g, '\n')
    .trim();
}

/** The peer sampler's arguments: the program's text, the NIC's location, the direction (1 in, 2 out), the sample threshold. */
export function peerArgs(text: string, nicLocation: number, direction: 'in' | 'out', sample: number): string[] {
  return ['-f', 'json', '-e', text, String(nicLocation), direction === 'in' ? '1' : '2', String(keepFor(sample))];
}

/** Start the sampler (bpftrace unless another program is named) and wait for its ready line; on failure, stop it and say why. */
export async function startSampler(runner: Runner, args: string[], readyTimeoutMs: number, program = 'bpftrace'): Promise<{ proc: BackgroundProcess } | { error: string; proc?: BackgroundProcess }> {
  let proc: BackgroundProcess;
  const what = program === 'bpftrace' ? 'bpftrace' : 'the compiled observer';
  try {
    proc = await runner.start({ program, args, timeoutMs: 30 * 60_000, ...(program === 'bpftrace' ? { env: { BPFTRACE_MAP_KEYS_MAX: '65536' } } : {}) });
  } catch (err) {
    return { error: `${what} could not start: ${errorMessage(err)}` };
  }
  let exited: CommandResult | undefined;
  void proc.exited.then((r) => (exited = r));
  const until = Date.now() + readyTimeoutMs;
  while (Date.now() < until && exited === undefined) {
    if (proc.output().includes('netbench-tracing-ready')) return { proc };
    await delay(20);
  }
  const r = exited ?? (await proc.stop(500));
  const why = lastLines(r.stderr.split('\n').filter((l) => !/RLIMIT_MEMLOCK/.test(l)).join('\n'), 3) || `not attached within ${readyTimeoutMs} ms`;
  return { error: `${what} did not attach: ${why}`, proc };
}

interface Session {
  readonly key: string;
  readonly proc: BackgroundProcess;
  /** how much of its output earlier trials took */
  consumed: number;
  splits: number;
  /** false once the sampler has exited (a crash): the next trial starts a new one */
  alive: boolean;
}

const SPLIT = 'netbench-split';

export class BpftraceTracer implements Tracer {
  readonly available: boolean;
  readonly reason: string | null;
  private readonly traces: TrialTrace[] = [];
  private readonly program: string;
  private readonly readyTimeoutMs: number;
  private session: Session | undefined;
  /** per built instance: a real-host run rebuilds a topology, with new namespaces, each time it takes the NIC */
  private readonly directories = new WeakMap<BuiltTopology, Map<number, DeviceRef>>();
  private readonly inode: (netns: string) => number;
  private readonly peerOpts: BpftraceTracerOptions['peer'];
  private readonly peerTraces: PeerTrace[] = [];
  private readonly peerLocations = new WeakMap<BuiltTopology, number>();
  private peerBroken: string | undefined;
  private peerText: string | undefined;
  private readonly backend: TracerName;
  private readonly variant: LibbpfVariant;
  private readonly signal: (pid: number) => void;

  constructor(
    private readonly runner: Runner,
    opts: BpftraceTracerOptions = {},
  ) {
    this.backend = opts.backend ?? 'bpftrace';
    this.variant = opts.variant ?? 'full';
    this.signal = opts.signal ?? ((pid) => process.kill(pid, 'SIGUSR1'));
    const why = observerUnavailable(this.backend);
    this.available = why === undefined;
    this.reason = why ?? null;
    this.program = this.backend === 'libbpf' ? BPF_PROGRAM : (opts.program ?? TRACE_PROGRAM);
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
    this.inode = opts.inode ?? ((ns) => netnsInode(ns));
    this.peerOpts = opts.peer;
  }

  forTrial(built: BuiltTopology, trial: Cell & { readonly index: number }, store: RunStore): AroundClient | undefined {
    const res = resolveRoute(built.spec, built, trial.path);
    if (!res.ok) return undefined;
    const { client, server } = res.plan;
    const roleOf = new Map(built.interfaces.map((i) => [`${i.netns} ${i.name}`, i.role]));
    const role = (netns: string, name: string) => roleOf.get(`${netns} ${name}`) ?? name;
    const lastSeen = lastSeenAt(built, client, server);
    const sample = sampleFor(trial.workload);
    const base = { index: trial.index, topology: built.spec.name, workload: trial.workload, path: trial.path, sender: role(client.netns, client.ifname), receiver: role(server.netns, server.ifname), sample };
    // on real machines the peer is another kernel: this machine's part of the journey starts or ends at its test NIC
    const peerElsewhere = built.lan.peerHost !== undefined;
    const direction = !peerElsewhere ? undefined : server.netns === built.lan.peerNs ? 'in' : client.netns === built.lan.peerNs ? 'out' : undefined;
    const file = `${String(trial.index).padStart(4, '0')}-${built.spec.name}-${trial.workload}-${trial.path}`;
    return async (run: () => Promise<CommandResult>): Promise<CommandResult> => {
      const [local, peer] = await Promise.all([this.openLocal(built, store, base, { client, server, lastSeen, peerElsewhere }), direction ? this.openPeer(built, { ...base, direction }) : undefined]);
      if (typeof local === 'string') this.traces.push({ ...base, error: local, raw: null });
      let result: CommandResult;
      try {
        // whatever the sampler saw before this trial's client starts is not this trial's
        if (typeof local !== 'string') await this.split(local.session);
        result = await run();
      } finally {
        if (typeof local !== 'string') {
          const { session: s, dir } = local;
          const segment = await this.split(s);
          const raw = store.writeRaw(`${file}.${this.backend}.json`, segment.text);
          const namer = (device: number) => {
            const ref = dir.get(device);
            return ref ? role(ref.netns, ref.name) : `interface ${device}`;
          };
          const data = this.backend === 'libbpf' ? parseLoader(segment.text, namer) : parseBpftrace(segment.text, namer);
          const why = segment.ok ? 'the sampler answered; no packet of the trial reached the receiver' : s.alive ? 'the sampler did not answer the split within 5 s' : 'the sampler exited during the trial';
          this.traces.push({ ...base, raw, data, ...(data.e2e.length === 0 ? { error: `no packet was followed end to end (${why})` } : {}) });
        }
        if (peer) await this.closePeer(peer, store, `${file}.peer.bpftrace.json`);
      }
      return result;
    };
  }

  /** This machine's sampler for a trial, attached; or why the trial is not traced here. */
  private async openLocal(
    built: BuiltTopology,
    store: RunStore,
    base: { readonly sample: number },
    where: { client: { netns: string; ifname: string }; server: { netns: string; ifname: string }; lastSeen: { netns: string; name: string } | undefined; peerElsewhere: boolean },
  ): Promise<{ session: Session; dir: Map<number, DeviceRef> } | string> {
    const { client, server } = where;
    let dir: Map<number, DeviceRef>;
    try {
      dir = await this.directory(built, store);
    } catch (err) {
      return `the topology's interfaces could not be listed: ${errorMessage(err)}`;
    }
    const loc = (netns: string, name: string, ev: number): number => {
      for (const [device, ref] of dir) if (ref.netns === netns && ref.name === name) return device + ev;
      return 0;
    };
    const ends = {
      sender: where.peerElsewhere && client.netns === built.lan.peerNs ? loc(built.lan.hostA, built.lan.uplink, RX) : loc(client.netns, client.ifname, TX),
      receiver: where.peerElsewhere && server.netns === built.lan.peerNs ? loc(built.lan.hostA, built.lan.uplink, TX) : loc(server.netns, server.ifname, RX),
      receiver2: where.lastSeen ? loc(where.lastSeen.netns, where.lastSeen.name, RX) : 0,
    };
    // host's own traffic leaves by the NIC itself, and a macvlan child gets a packet from the wire inside the NIC's receive
    if (ends.sender !== 0 && (ends.sender === ends.receiver || ends.sender === ends.receiver2)) return 'the journey on this machine is the test NIC alone: no step here to time';
    if (ends.sender === 0 || ends.receiver === 0) return `the sender or receiver interface was not found (${client.netns}/${client.ifname}, ${server.netns}/${server.ifname})`;
    const s = await this.open(this.backend === 'libbpf' ? libbpfArgs(ends, keepFor(base.sample), this.variant) : bpftraceArgs(this.program, ends, base.sample), built);
    return 'error' in s ? s.error : { session: s, dir };
  }

  /**
   * The peer machine's sampler for one trial (bench/trace/peer-half.bt, sent with -e):
   * started before the client, interrupted after it, when it prints its maps. It cannot
   * stay attached across trials as this machine's does: its split probe watches this
   * process, which is not on the peer. After one failure to attach, later trials record
   * the same reason without trying again.
   */
  private async openPeer(built: BuiltTopology, base: Omit<PeerTrace, 'nic' | 'raw'>): Promise<{ base: Omit<PeerTrace, 'raw'>; proc?: BackgroundProcess; error?: string } | undefined> {
    const peer = this.peerOpts;
    if (!peer || peer.reason !== null) return undefined;
    const nic = built.lan.peerIf;
    const withNic = { ...base, nic: `peer ${nic}` };
    if (this.peerBroken) return { base: withNic, error: this.peerBroken };
    let nicLoc: number;
    try {
      nicLoc = await this.peerNicLocation(built);
    } catch (err) {
      return { base: withNic, error: `the peer's test NIC could not be located: ${errorMessage(err)}` };
    }
    const started = await startSampler(peer.runner, peerArgs(this.peerProgramText(base.direction), nicLoc, base.direction, base.sample), this.readyTimeoutMs);
    if ('error' in started) {
      if (started.proc) await started.proc.stop(1000);
      this.peerBroken = `on the peer, ${started.error}`;
      return { base: withNic, error: this.peerBroken };
    }
    Ledger.open(built.ledgerPath).append(processEntry(started.proc, 'bpftrace on the peer'));
    return { base: withNic, proc: started.proc };
  }

  /** Interrupt the peer's sampler (it prints its maps on the way out) and keep what it saw. */
  private async closePeer(p: { base: Omit<PeerTrace, 'raw'>; proc?: BackgroundProcess; error?: string }, store: RunStore, name: string): Promise<void> {
    if (!p.proc) {
      this.peerTraces.push({ ...p.base, raw: null, error: p.error ?? 'not traced' });
      return;
    }
    const r = await p.proc.stop(5000);
    const raw = store.writeRaw(name, r.stdout);
    const data = parseBpftrace(r.stdout, () => p.base.nic);
    const ended = r.stdout.includes('"@e2e"') || r.stdout.includes('"@drops"') || data.e2e.length > 0;
    this.peerTraces.push({ ...p.base, raw, data, ...(data.e2e.length === 0 ? { error: `no packet was followed through the peer's step (${ended ? 'the sampler printed its maps' : 'the sampler printed no maps when interrupted'})` } : {}) });
  }

  /** The peer's test NIC as the program's location number (event 0), read over ssh once per built topology. */
  private async peerNicLocation(built: BuiltTopology): Promise<number> {
    const known = this.peerLocations.get(built);
    if (known !== undefined) return known;
    const runner = this.peerOpts!.runner;
    const ns = built.lan.peerNs;
    const ino = await runner.run({ program: 'stat', args: ['-L', '-c', '%i', `/run/netns/${ns}`] });
    const links = await runner.run({ program: 'ip', args: ['-j', '-n', ns, 'link', 'show', 'dev', built.lan.peerIf] });
    const inode = Number(ino.stdout.trim());
    const link = parseLinks(links.stdout)[0];
    if (!Number.isSafeInteger(inode) || inode <= 0 || !link) throw new Error(`${ns}: ${(ino.stderr || links.stderr).trim() || 'no such namespace or interface'}`);
    const loc = location(inode, link.ifindex, 0);
    this.peerLocations.set(built, loc);
    return loc;
  }

  private peerProgramText(direction: 'in' | 'out'): string {
    this.peerText ??= readFileSync(PEER_PROGRAM, 'utf8');
    return peerProgram(this.peerText, direction);
  }

  /** Every interface of the topology's namespaces by location number, read once per topology (before its first traced trial). */
  private async directory(built: BuiltTopology, store: RunStore): Promise<Map<number, DeviceRef>> {
    const known = this.directories.get(built);
    if (known) return known;
    // this machine's namespaces only: a real-host run's peer is traced on its own machine, if at all
    const local = (ns: string) => ns !== built.lan.peerNs || built.lan.peerHost === undefined;
    const namespaces = [...new Set([...built.interfaces.map((i) => i.netns), built.lan.hostA, ...(built.lan.switch ? [built.lan.switch.ns] : []), built.lan.peerNs, ...built.containers.map((c) => c.netns)])].filter(local);
    const dir = await deviceDirectory(this.runner, namespaces, this.inode);
    this.directories.set(built, dir);
    // kept with the raw output: which location number is which interface
    store.writeRaw(`${built.spec.name}-devices.json`, `${JSON.stringify(directoryRecord(dir, built), null, 1)}\n`);
    return dir;
  }

  /** The running sampler when it traces the same interfaces; otherwise a new one (the old one stopped). */
  private async open(args: string[], built: BuiltTopology): Promise<Session | { error: string }> {
    const key = args.join(' ');
    if (this.session?.key === key && this.session.alive) return this.session;
    await this.release();
    const started = await startSampler(this.runner, args, this.readyTimeoutMs, this.backend === 'libbpf' ? LOADER : 'bpftrace');
    if ('error' in started) return { error: started.error };
    Ledger.open(built.ledgerPath).append(processEntry(started.proc, this.backend === 'libbpf' ? 'netbench-trace' : 'bpftrace'));
    const session: Session = { key, proc: started.proc, consumed: 0, splits: 0, alive: true };
    void started.proc.exited.then(() => (session.alive = false));
    this.session = session;
    return session;
  }

  /** Ask the sampler to print and clear its maps; its output since the last split. */
  private async split(s: Session): Promise<{ text: string; ok: boolean }> {
    if (this.backend === 'libbpf') {
      try {
        this.signal(s.proc.pid); // the loader prints and clears its maps on SIGUSR1
      } catch {
        // gone already: the wait below says so
      }
    } else getPriority(0); // the sampler's split probe fires on this process's uv_os_getpriority
    const until = Date.now() + 5000;
    let out = s.proc.output();
    while (countOf(out, SPLIT) <= s.splits && Date.now() < until && s.alive) {
      await delay(5);
      out = s.proc.output();
    }
    const ok = countOf(out, SPLIT) > s.splits;
    const end = ok ? out.indexOf('\n', nthIndex(out, SPLIT, s.splits + 1)) + 1 : out.length;
    const text = out.slice(s.consumed, end);
    s.consumed = end;
    s.splits = countOf(out.slice(0, end), SPLIT);
    return { text, ok };
  }

  /** Stop the sampler, if one is attached (before any untraced trial, and at the end). */
  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await s.proc.stop(15_000);
  }

  finish(results: Results): Results {
    const peer = this.peerOpts ? { program: PEER_PROGRAM, available: this.peerOpts.reason === null, reason: this.peerOpts.reason, traces: this.peerTraces } : undefined;
    return aggregateTracing(results, this.traces, { program: this.program, backend: this.backend, ...(this.backend === 'libbpf' ? { variant: this.variant } : {}), available: this.available, reason: this.reason, ...(peer ? { peer } : {}) });
  }
}

/**
 * Where a packet into a container is last seen when no receive fires on the container's
 * own interface: the receive that hands it over ends the journey. A macvlan child's
 * packets from outside are handed over inside the receive on its parent, hostA's uplink.
 * The ebpf style's programs run in a receive and redirect the packet into the container
 * with bpf_redirect_peer, which fires no second receive: from outside, the uplink's; from
 * another container, that container's host-side interface. Undefined elsewhere.
 */
export function lastSeenAt(built: Pick<BuiltTopology, 'spec' | 'containers' | 'interfaces' | 'lan'>, client: { netns: string }, server: { netns: string }): { netns: string; name: string } | undefined {
  if (!built.containers.some((c) => c.netns === server.netns)) return undefined;
  const uplink = { netns: built.lan.hostA, name: built.lan.uplink };
  if (built.spec.driver === 'macvlan') return uplink;
  if (built.spec.driver !== 'ebpf') return undefined;
  const from = built.interfaces.find((i) => i.netns === client.netns && built.containers.some((c) => c.netns === client.netns));
  if (!from) return uplink;
  const hostSide = built.interfaces.find((i) => i.netns === built.lan.hostA && i.role === `${from.role}h`);
  return hostSide ? { netns: hostSide.netns, name: hostSide.name } : uplink;
}

/** The device directory as saved beside the raw output: location number, namespace, interface, role. */
export function directoryRecord(dir: ReadonlyMap<number, DeviceRef>, built: Pick<BuiltTopology, 'interfaces'>): { device: number; netns: string; name: string; role: string | null }[] {
  const roleOf = new Map(built.interfaces.map((i) => [`${i.netns} ${i.name}`, i.role]));
  return [...dir].map(([device, ref]) => ({ device, ...ref, role: roleOf.get(`${ref.netns} ${ref.name}`) ?? null }));
}

function countOf(text: string, word: string): number {
  let n = 0;
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) n++;
  return n;
}

/** index of the k-th (1-based) occurrence of word */
function nthIndex(text: string, word: string, k: number): number {
  let i = -1;
  for (let n = 0; n < k; n++) i = text.indexOf(word, i + 1);
  return i;
}
