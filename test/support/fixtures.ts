/** The one fixture set: files under test/fixtures, by name. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function fixtureText(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8');
}

/** A topology file that asks macvlan passthru for two children (it allows one). */
export const PASSTHRU_TWO_CHILDREN = fixturePath('topologies', 'passthru-two-children.json');

/** A saved run's results.json (test/fixtures/results), parsed. */
export function fixtureResults<T = import('../../src/results/types.js').Results>(name: string): T {
  return JSON.parse(fixtureText('results', name)) as T;
}

/** Two topology files that build the same Linux bridge under two names: a real A/A. */
export const BRIDGE_TWINS = [fixturePath('topologies', 'bridge-twin-a.json'), fixturePath('topologies', 'bridge-twin-b.json')] as const;
