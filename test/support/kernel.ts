/**
 * One machine's network state as iproute2 and nft see it, answering only the command
 * forms those tools accept. Unlike `simulatedKernel` (fakes.ts), which says yes to any
 * command a driver builds with, this one is strict: a command it does not know, a
 * missing namespace or device, or a wrong family fails as the tools fail, with their
 * words. So a teardown step that sends a broken command leaves the object in place here,
 * as it would on a real machine.
 */
import { RecordingRunner, type Reply } from '../../src/exec/recording-runner.js';
import type { CommandSpec } from '../../src/exec/runner.js';

/** the machine's own namespace */
export const ROOT = '';

export interface ModelLink {
  netns: string;
  mtu: number;
  up: boolean;
  /** a physical NIC goes back to the machine's namespace when its namespace is deleted; a veth goes with it */
  physical: boolean;
}

export interface KernelModel {
  readonly runner: RecordingRunner;
  readonly namespaces: Set<string>;
  readonly links: Map<string, ModelLink>;
  /** "<netns> <family> <table>" */
  readonly tables: Set<string>;
  /** processes by pid: their start time and namespace (`ip netns pids` lists them; a remote stop by pid and start time ends them) */
  readonly procs: Map<number, { startTime: string; netns: string }>;
  /** processes a remote stop ended, with the start time it was given */
  readonly stopped: { pid: number; startTime: string }[];
  /** links that went down with their namespace (a veth does; a physical NIC returns to the machine's namespace) */
  readonly lost: string[];
  /** the model's answer to a command, for a runner that answers some commands itself and leaves the rest to the model */
  reply(spec: CommandSpec): Reply | undefined;
}

const fail = (stderr: string, exitCode = 1): Reply => ({ exitCode, stderr });
const noNetns = (ns: string) => fail(`Cannot open network namespace "${ns}": No such file or directory`);
const noDevice = (name: string) => fail(`Cannot find device "${name}"`);

export interface KernelInit {
  namespaces?: string[];
  links?: Record<string, Partial<ModelLink>>;
  tables?: string[];
  procs?: Record<number, { startTime: string; netns: string }>;
  /** namespaces whose delete fails, with what the kernel says */
  refuse?: Record<string, string>;
  /**
   * names `ip netns list` shows that hold no namespace: the file in /run/netns was made but
   * never bound to one (a run killed inside `ip netns add`). Nothing can be entered there;
   * `ip netns del` removes the name.
   */
  hollow?: string[];
}

/** A remote stop (src/exec/ssh.ts): `sh -c <script> sh <pid> <start time or empty> <polls>`. */
const isRemoteStop = (spec: CommandSpec) => spec.program === 'sh' && spec.args[0] === '-c' && /kill -s \$sig \$p/.test(spec.args[1] ?? '') && spec.args.length === 6;

export function kernelModel(init: KernelInit = {}): KernelModel {
  const namespaces = new Set(init.namespaces ?? []);
  const links = new Map(Object.entries(init.links ?? {}).map(([name, l]) => [name, { netns: ROOT, mtu: 1500, up: false, physical: false, ...l }]));
  const tables = new Set(init.tables ?? []);
  const procs = new Map(Object.entries(init.procs ?? {}).map(([pid, p]) => [Number(pid), { ...p }]));
  const stopped: { pid: number; startTime: string }[] = [];
  const lost: string[] = [];
  const hollow = new Set(init.hollow ?? []);
  for (const h of hollow) namespaces.add(h);
  const cannotEnter = (ns: string) => fail(`setting the network namespace "${ns}" failed: Invalid argument`, 255);

  const link = (ns: string, argv: readonly string[]): Reply | undefined => {
    if (ns !== ROOT && !namespaces.has(ns)) return noNetns(ns);
    if (hollow.has(ns)) return cannotEnter(ns);
    const [verb, ...rest] = argv;
    const dev = rest[0] === 'dev' ? rest[1] : rest[0];
    const opts = rest[0] === 'dev' ? rest.slice(2) : rest.slice(1);
    if (dev === undefined) return fail('Not enough information: "dev" argument is required.', 255);
    const l = links.get(dev);
    const here = l !== undefined && l.netns === ns;
    if (verb === 'del' || verb === 'delete') {
      if (!here || opts.length > 0) return here ? fail(`Error: either "dev" is duplicate, or "${opts[0]}" is a garbage.`, 255) : noDevice(dev);
      links.delete(dev);
      return undefined;
    }
    if (verb === 'show') return here && opts.length === 0 ? { stdout: `2: ${dev}: <${l.up ? 'UP' : 'BROADCAST'}> mtu ${l.mtu}\n` } : noDevice(dev);
    if (verb === 'set') {
      if (!here) return noDevice(dev);
      for (let i = 0; i < opts.length; i++) {
        const o = opts[i]!;
        if (o === 'up' || o === 'down') l.up = o === 'up';
        else if (o === 'mtu' && /^\d+$/.test(opts[i + 1] ?? '')) l.mtu = Number(opts[++i]);
        else if (o === 'netns' && opts[i + 1] !== undefined) {
          const to = opts[++i]!;
          if (to !== ROOT && !namespaces.has(to)) return fail(`Invalid "netns" value "${to}"`);
          l.netns = to;
        } else return fail(`Error: either "dev" is duplicate, or "${o}" is a garbage.`, 255);
      }
      return undefined;
    }
    return fail(`Command "${verb ?? ''}" is unknown, try "ip link help".`, 255);
  };

  const netns = (argv: readonly string[]): Reply | undefined => {
    const [verb, name] = argv;
    if (verb === 'list' && name === undefined) return { stdout: [...namespaces].map((n) => `${n} (id: 1)\n`).join('') };
    if (name === undefined || argv.length !== 2) return fail('Usage: ip netns list | add NAME | del NAME | pids NAME', 255);
    if (verb === 'add') {
      if (namespaces.has(name)) return fail(`Cannot create namespace file "/run/netns/${name}": File exists`);
      namespaces.add(name);
      return undefined;
    }
    if (verb === 'del' || verb === 'delete') {
      if (init.refuse?.[name] !== undefined && namespaces.has(name)) return fail(init.refuse[name]);
      if (!namespaces.delete(name)) return fail(`Cannot remove namespace file "/run/netns/${name}": No such file or directory`);
      hollow.delete(name);
      for (const [n, l] of links) {
        if (l.netns !== name) continue;
        if (l.physical) l.netns = ROOT;
        else (links.delete(n), lost.push(n));
      }
      for (const t of [...tables]) if (t.startsWith(`${name} `)) tables.delete(t);
      return undefined;
    }
    if (verb === 'pids') {
      if (!namespaces.has(name)) return fail(`Invalid netns name "${name}"`);
      if (hollow.has(name)) return { stderr: 'Error: Peer netns reference is invalid.\n' };
      return { stdout: [...procs].filter(([, p]) => p.netns === name).map(([pid]) => `${pid}\n`).join('') };
    }
    return fail(`Command "${verb}" is unknown, try "ip netns help".`, 255);
  };

  const ip = (args: readonly string[], ns: string): Reply | undefined => {
    if (args[0] === '-n' && args[1] !== undefined) return ip(args.slice(2), args[1]);
    if (args[0] === 'netns' && ns === ROOT) return netns(args.slice(1));
    if (args[0] === 'link') return link(ns, args.slice(1));
    return fail(`Object "${args[0] ?? ''}" is unknown, try "ip help".`, 255);
  };

  const handle = (spec: CommandSpec): Reply | undefined => {
    const ns = spec.netns ?? ROOT;
    if (spec.netns !== undefined && !namespaces.has(spec.netns)) return noNetns(spec.netns);
    if (spec.netns !== undefined && hollow.has(spec.netns)) return cannotEnter(spec.netns);
    if (spec.program === 'ip') return ip(spec.args, ns);
    if (spec.program === 'nft') {
      const [verb, what, family, table, ...more] = spec.args;
      if (verb !== 'delete' || what !== 'table' || table === undefined || more.length > 0) return fail('Error: syntax error', 1);
      if (!['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'].includes(family!)) return fail(`Error: unknown address family ${family}`);
      return tables.delete(`${ns} ${family} ${table}`) ? undefined : fail('Error: No such file or directory', 1);
    }
    if (isRemoteStop(spec)) {
      // gone, or a different process under a recycled pid: nothing to stop, and the script says so with 0
      const [pid, startTime] = [Number(spec.args[3]), spec.args[4]!];
      const p = procs.get(pid);
      if (p !== undefined && (startTime === '' || startTime === p.startTime)) (procs.delete(pid), stopped.push({ pid, startTime }));
      return undefined;
    }
    // the one shell line a NIC goes home by: out of "$1" into the shell's own (the machine's) namespace
    if (spec.program === 'sh' && spec.args[1] === 'ip -n "$1" link set dev "$2" netns $$' && spec.args.length === 5 && ns === ROOT) {
      return ip(['-n', spec.args[3]!, 'link', 'set', 'dev', spec.args[4]!, 'netns', ROOT], ROOT);
    }
    return fail(`${spec.program}: not a command this machine knows`, 127);
  };
  return { runner: new RecordingRunner((spec) => handle(spec)), namespaces, links, tables, procs, stopped, lost, reply: handle };
}
