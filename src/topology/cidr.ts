/** IPv4 CIDR arithmetic for the address plan. */
export interface Cidr {
  readonly network: number; // as an unsigned 32-bit integer
  readonly prefix: number;
  readonly text: string;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = ipToInt(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return undefined; // host bits set: not a network address
  return { network: ip, prefix, text };
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.network >= outer.network && inner.network + size(inner) <= outer.network + size(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network < b.network + size(b) && b.network < a.network + size(a);
}

/** The nth address of a network (1 is the first host). */
export function hostAddress(c: Cidr, n: number): string {
  if (n <= 0 || n >= size(c) - 1) throw new RangeError(`${c.text} has no host number ${n}`);
  return intToIp(c.network + n);
}

/** RFC 2544's benchmarking range: the only addresses the suite ever assigns. */
export const BENCHMARK_RANGE = parseCidr('198.18.0.0/15')!;
