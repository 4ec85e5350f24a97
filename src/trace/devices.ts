/**
 * Locations in the tracer's output: one number per (network namespace, interface,
 * event), so that the kernel side never handles a string. The suite created every
 * namespace and interface it traces, so it names them here, in user space, from the
 * namespace inode and the ifindex: (inode & 0xffffff) << 24 | ifindex << 2 | event.
 * Namespace inodes are handed out upwards from 0xf0000000, so their low 24 bits tell
 * apart any namespaces alive at once; the whole number stays below 2^53.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';

export const EVENT_NAMES = ['', 'tx', 'rx-queue', 'rx'] as const;
export const TX = 1;
export const RX = 3;

const NS_BITS = 2 ** 24;

/** The location number of an event on an interface. */
export function location(nsInode: number, ifindex: number, event: number): number {
  return (nsInode % NS_BITS) * NS_BITS + ifindex * 4 + event;
}

/** The interface part (event 0) and the event of a location. */
export function splitLocation(loc: number): { device: number; event: number } {
  const event = loc % 4;
  return { device: loc - event, event };
}

export interface DeviceRef {
  readonly netns: string;
  readonly name: string;
}

/** The inode of a named network namespace (what the kernel's ns.inum holds). */
export function netnsInode(netns: string, dir = '/run/netns'): number {
  return statSync(join(dir, netns)).ino;
}

/** Every interface in the given namespaces, keyed by its location with event 0. */
export async function deviceDirectory(runner: Runner, namespaces: readonly string[], inode: (ns: string) => number = netnsInode): Promise<Map<number, DeviceRef>> {
  const out = new Map<number, DeviceRef>();
  for (const netns of new Set(namespaces)) {
    const r = await runner.run({ program: 'ip', args: ['-j', '-n', netns, 'link', 'show'] });
    const ino = inode(netns);
    for (const l of parseLinks(r.stdout)) out.set(location(ino, l.ifindex, 0), { netns, name: l.ifname });
  }
  return out;
}

/** `ip -j link show` output: each link's ifindex and name. */
export function parseLinks(json: string): { ifindex: number; ifname: string }[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  return data.flatMap((l: unknown) => {
    if (typeof l !== 'object' || l === null) return [];
    const { ifindex, ifname } = l as { ifindex?: unknown; ifname?: unknown };
    return typeof ifindex === 'number' && typeof ifname === 'string' ? [{ ifindex, ifname }] : [];
  });
}
