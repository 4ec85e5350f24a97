import { describe, expect, it } from 'vitest';
import { BENCHMARK_RANGE, contains, hostAddress, ipToInt, overlaps, parseCidr } from '../../src/topology/cidr.js';

describe('cidr', () => {
  it('parses networks and refuses host bits', () => {
    expect(parseCidr('198.18.0.0/24')).toMatchObject({ prefix: 24, network: ipToInt('198.18.0.0') });
    expect(parseCidr('198.18.0.5/24')).toBeUndefined();
    expect(parseCidr('198.18.0.256/24')).toBeUndefined();
    expect(parseCidr('nonsense')).toBeUndefined();
  });
  it('knows containment and overlap', () => {
    expect(contains(BENCHMARK_RANGE, parseCidr('198.19.255.0/24')!)).toBe(true);
    expect(contains(BENCHMARK_RANGE, parseCidr('198.20.0.0/24')!)).toBe(false);
    expect(overlaps(parseCidr('198.18.0.0/24')!, parseCidr('198.18.0.128/25')!)).toBe(true);
    expect(overlaps(parseCidr('198.18.0.0/25')!, parseCidr('198.18.0.128/25')!)).toBe(false);
  });
  it('numbers hosts and refuses network and broadcast', () => {
    const c = parseCidr('198.18.1.0/29')!;
    expect(hostAddress(c, 1)).toBe('198.18.1.1');
    expect(hostAddress(c, 6)).toBe('198.18.1.6');
    expect(() => hostAddress(c, 7)).toThrow(RangeError);
    expect(() => hostAddress(c, 0)).toThrow(RangeError);
  });
});
