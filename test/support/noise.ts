/**
 * The one home of the tests' seeded noise: every simulation draws from these, so that a
 * change to how noise is made is made once.
 */
import { seededRng } from '../../src/stats/rng.js';

export type Rng = () => number;

/** A standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** A Student t draw with 3 degrees of freedom: heavy tails, as trials on a shared machine have. */
export function studentT3(rng: Rng): number {
  const chi = normal(rng) ** 2 + normal(rng) ** 2 + normal(rng) ** 2;
  return normal(rng) / Math.sqrt(chi / 3);
}

/** n figures around `mean` with a coefficient of variation `cov`, uniform (bounded: ±cov·√3). */
export function uniformAround(rng: Rng, n: number, mean: number, cov: number): number[] {
  return Array.from({ length: n }, () => mean * (1 + cov * (rng() * 2 - 1) * Math.sqrt(3)));
}

/** Each figure times 1 ± up to `pct`, uniform, from its own seed. */
export function jitter(xs: readonly number[], pct: number, seed: number): number[] {
  const rng = seededRng(seed);
  return xs.map((x) => x * (1 + pct * (rng() * 2 - 1)));
}
