/**
 * Known slowdowns, applied inside a topology's own namespaces after it is built, to
 * prove that `bench gate` catches a real regression:
 *   tbf:<rate>        a TBF rate limit on c1's interface (e.g. tbf:4gbit)
 *   forward-rules:<n> n non-matching iptables rules in hostA's FORWARD chain
 * The host baseline is never touched, so ratios to host move.
 */
import { usageError } from '../errors.js';
import { ensureOk, type Runner } from '../exec/runner.js';
import type { BuiltTopology } from '../topology/build.js';

export type Injection = { kind: 'tbf'; rate: string } | { kind: 'forward-rules'; count: number };

export function parseInjection(text: string): Injection {
  const tbf = /^tbf:(\d+(?:\.\d+)?[kmg]?bit)$/i.exec(text);
  if (tbf) return { kind: 'tbf', rate: tbf[1]!.toLowerCase() };
  const fr = /^forward-rules:(\d+)$/.exec(text);
  if (fr && Number(fr[1]) >= 1 && Number(fr[1]) <= 100_000) return { kind: 'forward-rules', count: Number(fr[1]) };
  throw usageError(`--inject must be tbf:<rate> (e.g. tbf:4gbit) or forward-rules:<1-100000>, got '${text}'`);
}

export function forwardRules(count: number): string {
  const lines = ['*filter', ':FORWARD ACCEPT [0:0]'];
  // sources from the benchmarking range that the suite never assigns: no packet matches, every packet is checked
  for (let i = 0; i < count; i++) lines.push(`-A FORWARD -s 198.19.${200 + (Math.floor(i / 256) % 50)}.${i % 256}/32 -p tcp --dport ${1024 + (i % 60000)} -j DROP`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export function describeInjection(i: Injection): string {
  return i.kind === 'tbf' ? `TBF rate limit ${i.rate} on c1's interface` : `${i.count} non-matching iptables rules in hostA's FORWARD chain`;
}

export async function applyInjection(runner: Runner, b: BuiltTopology, inj: Injection): Promise<string | undefined> {
  if (b.spec.driver === 'host') return undefined;
  const c1 = b.containers[0];
  if (!c1) return undefined;
  if (inj.kind === 'tbf') {
    ensureOk(await runner.run({ program: 'tc', args: ['qdisc', 'replace', 'dev', c1.ifname, 'root', 'tbf', 'rate', inj.rate, 'burst', '512kb', 'latency', '50ms'], netns: c1.netns, timeoutMs: 10_000 }));
  } else {
    ensureOk(await runner.run({ program: 'iptables-restore', args: ['--noflush'], input: forwardRules(inj.count), netns: b.hostA.netns, timeoutMs: 60_000 }));
  }
  return `${b.spec.name}: injected ${describeInjection(inj)} (a deliberate slowdown for testing the gate)`;
}
