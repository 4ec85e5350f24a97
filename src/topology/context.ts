/**
 * The primitives drivers build with. Each writes its ledger entry first, then runs the
 * command through the runner; a failure throws and the caller rolls back from the ledger.
 */
import { mkdirSync } from 'node:fs';
import { NetbenchError } from '../errors.js';
import { type CommandResult, ensureOk, type Runner } from '../exec/runner.js';
import type { Ledger, LedgerEntry } from '../lab/ledger.js';
import type { Naming } from '../lab/names.js';

/**
 * Every namespace the suite makes, here or on a real-host run's peer: IPv6 off, and for
 * the connection-rate workloads (tens of thousands of connections per namespace) a wide
 * port range and TIME_WAIT reuse, so that they do not run out of ports.
 */
export const NETNS_SYSCTLS: readonly (readonly [string, string])[] = [
  ['net.ipv6.conf.all.disable_ipv6', '1'],
  ['net.ipv6.conf.default.disable_ipv6', '1'],
  ['net.ipv4.ip_local_port_range', '1024 65000'],
  ['net.ipv4.tcp_tw_reuse', '1'],
];

export interface Iface {
  readonly netns: string;
  readonly name: string;
  readonly role: string;
  readonly address?: string;
}

export class BuildContext {
  readonly interfaces: Iface[] = [];
  private readonly aborted: () => boolean;

  constructor(
    readonly runner: Runner,
    readonly ledger: Ledger,
    readonly naming: Naming,
    readonly runDir: string,
    aborted: () => boolean = () => false,
  ) {
    this.aborted = aborted;
  }

  record(entry: LedgerEntry): void {
    this.ledger.append(entry);
  }

  private checkAbort(): void {
    if (this.aborted()) throw new NetbenchError('INTERRUPTED', 'interrupted');
  }

  async exec(netns: string | undefined, program: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: Record<string, string> } = {}): Promise<CommandResult> {
    this.checkAbort();
    return ensureOk(
      await this.runner.run({
        program,
        args,
        ...(netns !== undefined ? { netns } : {}),
        timeoutMs: opts.timeoutMs ?? 20_000,
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        ...(opts.env !== undefined ? { env: opts.env } : {}),
      }),
    );
  }

  /** `ip -n <netns> ...` */
  ip(netns: string, ...args: string[]): Promise<CommandResult> {
    this.checkAbort();
    return this.exec(undefined, 'ip', ['-n', netns, ...args]);
  }

  async makeDir(path: string): Promise<void> {
    this.record({ kind: 'dir', path });
    mkdirSync(path, { recursive: true, mode: 0o700 });
  }

  /** A namespace with loopback up and IPv6 off (no DAD or router-solicitation noise in the figures). */
  async addNetns(role: string): Promise<string> {
    const name = this.naming.netns(role);
    this.record({ kind: 'netns', name });
    await this.exec(undefined, 'ip', ['netns', 'add', name]);
    await this.ip(name, 'link', 'set', 'lo', 'up');
    for (const [key, value] of NETNS_SYSCTLS) await this.sysctl(name, key, value);
    return name;
  }

  sysctl(netns: string, key: string, value: string): Promise<CommandResult> {
    return this.exec(netns, 'sysctl', ['-qw', `${key}=${value}`]);
  }

  /** A veth pair created directly inside its two namespaces (the root namespace never sees it). */
  async addVeth(a: { netns: string; role: string }, b: { netns: string; role: string }, mtu: number): Promise<[string, string]> {
    const an = this.naming.ifname(a.role);
    const bn = this.naming.ifname(b.role);
    this.record({ kind: 'link', netns: a.netns, name: an });
    await this.ip(a.netns, 'link', 'add', an, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', bn, 'netns', b.netns, 'mtu', String(mtu));
    this.interfaces.push({ netns: a.netns, name: an, role: a.role }, { netns: b.netns, name: bn, role: b.role });
    return [an, bn];
  }

  async addBridge(netns: string, role: string): Promise<string> {
    const name = this.naming.ifname(role);
    this.record({ kind: 'link', netns, name });
    await this.ip(netns, 'link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    this.interfaces.push({ netns, name, role });
    return name;
  }

  async enslave(netns: string, port: string, bridge: string): Promise<void> {
    await this.ip(netns, 'link', 'set', port, 'master', bridge);
  }

  async up(netns: string, ...names: string[]): Promise<void> {
    for (const n of names) await this.ip(netns, 'link', 'set', n, 'up');
  }

  async address(netns: string, name: string, address: string, prefix: number): Promise<void> {
    await this.ip(netns, 'addr', 'add', `${address}/${prefix}`, 'dev', name);
    const i = this.interfaces.findIndex((x) => x.netns === netns && x.name === name);
    if (i >= 0) this.interfaces[i] = { ...this.interfaces[i]!, address: `${address}/${prefix}` };
  }

  /** Record that an interface moved namespace (macvlan children are made in hostA, then moved). */
  moved(name: string, netns: string): void {
    const i = this.interfaces.findIndex((x) => x.name === name);
    if (i >= 0) this.interfaces[i] = { ...this.interfaces[i]!, netns };
  }
}
