/**
 * How many trials does the gate need? Resample a run's own trials (its real noise),
 * apply a known shift to one side, and count how often the gate calls it a regression
 * (power), and how often it does so with no shift (false alarms). Pure and seeded.
 */
import { seededRng } from '../stats/rng.js';
import type { Cell, Results } from '../results/types.js';
import { metricDef } from '../workloads/registry.js';
import { isRegression } from './decide.js';
import { gateSamples } from './gate.js';

export interface PowerRow extends Cell {
  readonly metric: string;
  readonly trials: number;
  readonly shift: number;
  readonly power: number;
  readonly falseAlarms: number;
  readonly pool: number;
}

export function estimatePower(
  results: Results,
  cell: Cell & { readonly metric: string },
  opts: { shift: number; trials: readonly number[]; threshold: number; mode: 'relative' | 'absolute'; repeats?: number; seed?: number },
): PowerRow[] {
  const pool = gateSamples(results, cell, cell.metric, opts.mode);
  const def = metricDef(cell.workload, cell.metric);
  if (!def || pool.length < 2) return [];
  const rng = seededRng(opts.seed ?? 1);
  const draw = (n: number) => Array.from({ length: n }, () => pool[Math.floor(rng() * pool.length)]!);
  // a regression moves the metric in its bad direction by `shift`
  const worse = def.better === 'higher' ? 1 - opts.shift : 1 + opts.shift;
  const repeats = opts.repeats ?? 400;
  return opts.trials.map((n) => {
    let hits = 0;
    let alarms = 0;
    for (let i = 0; i < repeats; i++) {
      if (isRegression(draw(n), draw(n).map((x) => x * worse), def.better, opts.threshold)) hits++;
      if (isRegression(draw(n), draw(n), def.better, opts.threshold)) alarms++;
    }
    return { ...cell, trials: n, shift: opts.shift, power: hits / repeats, falseAlarms: alarms / repeats, pool: pool.length };
  });
}
