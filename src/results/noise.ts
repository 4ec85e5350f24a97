/**
 * A run's noise profile in words: how far apart two 1-s figures of the host path fell
 * on the day, by the time between them, and what a ±5% verdict needs at that spread.
 * docs/methodology.md ("Trial design") explains why the time between the two sides of a
 * comparison matters.
 */
import type { NoiseEnv } from './types.js';

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/** "1-s figures of the host path (mean 21.3 Gbit/s) differ by 11% 1 s apart, 14% 2 s apart, 19% 5 s apart; a ±5% verdict needs about 40 pairs at 1 s (10 s profile before the trials)" */
export function noiseText(n: NoiseEnv): string {
  const spreads = n.spreads.map((s) => `${pct(s.spread)} ${s.gapS} s apart`).join(', ');
  const first = n.spreads[0];
  const need = first ? `; a ±5% verdict needs ${first.pairs === null ? 'more than 5,000' : `about ${first.pairs}`} pairs at ${first.gapS} s apart` : '';
  return `1-s figures of the host path (mean ${n.meanGbps.toFixed(1)} Gbit/s) differ by ${spreads || 'an amount the profile was too short to tell'}${need} (spread of the log ratio; ${n.seconds} s profile before the trials)`;
}

/** One line for a report header. */
export function describeNoise(n: NoiseEnv | undefined): string | undefined {
  return n ? `Noise on the day: ${noiseText(n)}` : undefined;
}
