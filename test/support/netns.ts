import { execFileSync } from 'node:child_process';
import { NETNS_PATTERN } from '../../src/lab/names.js';

/** The namespaces the tests make themselves (the emulated peer machine): never a run's, so `bench clean` leaves them alone, but a leak all the same. */
export const TEST_NETNS_PREFIX = 'nbtest-';

/**
 * Namespaces of the suite's runs and of the tests themselves: what must be gone when a test ends.
 * A run killed inside `ip netns add` leaves a name not yet mounted as a namespace: it is
 * listed (and is a leak until `bench clean` removes it), while `ip` complains on stderr
 * that its id cannot be read; that complaint is not the test's output.
 */
export function ourNetns(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => NETNS_PATTERN.test(n) || n.startsWith(TEST_NETNS_PREFIX));
}
