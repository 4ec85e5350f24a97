/**
 * Names of everything a run creates. Every name carries the run's tag, so leftovers can
 * be recognised (and only ours removed) even when a ledger is lost.
 */
import { randomInt } from 'node:crypto';
import { NetbenchError } from '../errors.js';

export const IFNAMSIZ = 15; // the kernel's limit on interface names (16 bytes with the NUL)
const TAG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const TAG_PATTERN = /^[a-z][a-z0-9]{3}$/;
/** netns names: nb-<tag>-<topology>-<role> */
export const NETNS_PATTERN = /^nb-([a-z][a-z0-9]{3})-/;

export function newTag(random: (max: number) => number = randomInt): string {
  let tag = TAG_ALPHABET[random(26)]!;
  for (let i = 0; i < 3; i++) tag += TAG_ALPHABET[random(TAG_ALPHABET.length)]!;
  return tag;
}

export function tagOfNetns(name: string): string | undefined {
  return NETNS_PATTERN.exec(name)?.[1];
}

/**
 * Names for one topology instance within a run. `slot` tells topologies of one run
 * apart in interface names (a-z, then 0-9), which must stay within 15 characters.
 */
export class Naming {
  readonly prefix: string;
  constructor(
    readonly tag: string,
    readonly topology: string,
    readonly slot: number,
  ) {
    if (!TAG_PATTERN.test(tag)) throw new Error(`bad run tag '${tag}'`);
    if (slot < 0 || slot >= TAG_ALPHABET.length) throw new Error(`too many topologies in one run (max ${TAG_ALPHABET.length})`);
    this.prefix = `${tag}${TAG_ALPHABET[slot]}`;
  }

  netns(role: string): string {
    return `nb-${this.tag}-${this.topology}-${role}`;
  }

  /** An interface name, unique across every namespace of every run. */
  ifname(role: string): string {
    const name = `${this.prefix}-${role}`;
    if (name.length > IFNAMSIZ) {
      throw new NetbenchError(
        'INVALID_TOPOLOGY',
        `interface name '${name}' for '${role}' is ${name.length} characters; the kernel allows ${IFNAMSIZ} (use at most ${IFNAMSIZ - this.prefix.length - 1} characters for '${role}')`,
      );
    }
    return name;
  }

  /** nftables table name (no length limit that matters, but keep the tag). */
  get nftTable(): string {
    return `netbench_${this.tag}`;
  }

  get ledgerId(): string {
    return `${this.tag}-${this.topology}`;
  }
}
