/**
 * How many trials does the gate need? Resample a run's own trials (its real noise),
 * apply a known shift to one side, and count how often the gate calls it a regression
 * (power), and how often it does so with no shift (false alarms). Pure and seeded.
 */
import { seededRng } from '../stats/rng.js';
import type { Cell, Results } from '../results/types.js';
import { metricDef } from '../workloads/registry.js';
import { isRegression } from './decide.js';
import type { Estimator } from '../results/verdict.js';
import { gateSamples } from './gate.js';
import { gateSequence } from './sequential.js';

export interface PowerRow extends Cell {
  readonly metric: string;
  readonly trials: number;
  readonly shift: number;
  readonly power: number;
  readonly falseAlarms: number;
  readonly pool: number;
}

/** A cell's gate samples to draw from (seeded, with replacement), and the factor that moves the metric `shift` in its bad direction; null with fewer than 2. */
function resampler(results: Results, cell: Cell & { readonly metric: string }, opts: { shift: number; mode: 'relative' | 'absolute'; repeats?: number; seed?: number }) {
  const pool = gateSamples(results, cell, cell.metric, opts.mode);
  const def = metricDef(cell.workload, cell.metric);
  if (!def || pool.length < 2) return null;
  const rng = seededRng(opts.seed ?? 1);
  const draw = (n: number) => Array.from({ length: n }, () => pool[Math.floor(rng() * pool.length)]!);
  return { pool, def, draw, worse: def.better === 'higher' ? 1 - opts.shift : 1 + opts.shift, repeats: opts.repeats ?? 400 };
}

export function estimatePower(
  results: Results,
  cell: Cell & { readonly metric: string },
  opts: { shift: number; trials: readonly number[]; threshold: number; mode: 'relative' | 'absolute'; repeats?: number; seed?: number; estimator?: Estimator },
): PowerRow[] {
  const r = resampler(results, cell, opts);
  if (!r) return [];
  const { pool, def, draw, worse, repeats } = r;
  return opts.trials.map((n) => {
    let hits = 0;
    let alarms = 0;
    for (let i = 0; i < repeats; i++) {
      if (isRegression(draw(n), draw(n).map((x) => x * worse), def.better, opts.threshold, 0.05, opts.estimator)) hits++;
      if (isRegression(draw(n), draw(n), def.better, opts.threshold, 0.05, opts.estimator)) alarms++;
    }
    return { ...cell, trials: n, shift: opts.shift, power: hits / repeats, falseAlarms: alarms / repeats, pool: pool.length };
  });
}

export interface SequentialPowerRow extends PowerRow {
  /** the blocks after which the gate looks (gate/sequential.ts) */
  readonly looks: readonly number[];
  /** the mean current trials taken when a regression is there, and when none is */
  readonly meanTrials: number;
  readonly meanTrialsAA: number;
}

/**
 * The power of `bench gate --run` as it measures: the baseline has `first` trials, the
 * current run grows to twice that, and the gate looks at gateSequence's blocks with each
 * test at alpha / looks, stopping at the first regression. One metric alone (no Holm
 * across metrics), and a run that stops early because everything is decided is not
 * simulated: a shift past the threshold is rarely decided "ok", and with no shift the
 * stop can only lower the false alarms counted here.
 */
export function estimateSequentialPower(
  results: Results,
  cell: Cell & { readonly metric: string },
  opts: { shift: number; first: readonly number[]; threshold: number; mode: 'relative' | 'absolute'; alpha?: number; repeats?: number; seed?: number; estimator?: Estimator },
): SequentialPowerRow[] {
  const r = resampler(results, cell, opts);
  if (!r) return [];
  const { pool, def, draw, worse, repeats } = r;
  return opts.first.map((first) => {
    const seq = gateSequence(first, Math.min(100, 2 * first), opts.alpha ?? 0.05);
    const last = seq.looks[seq.looks.length - 1]!;
    // the trials taken, and whether a look called a regression
    const run = (factor: number): { hit: boolean; used: number } => {
      const base = draw(first);
      const cur = draw(last).map((x) => x * factor);
      for (const n of seq.looks) if (isRegression(base, cur.slice(0, n), def.better, opts.threshold, seq.alphaPerLook, opts.estimator)) return { hit: true, used: n };
      return { hit: false, used: last };
    };
    let hits = 0;
    let alarms = 0;
    let used = 0;
    let usedAA = 0;
    for (let i = 0; i < repeats; i++) {
      const shifted = run(worse);
      const same = run(1);
      hits += shifted.hit ? 1 : 0;
      alarms += same.hit ? 1 : 0;
      used += shifted.used;
      usedAA += same.used;
    }
    return { ...cell, trials: first, shift: opts.shift, power: hits / repeats, falseAlarms: alarms / repeats, pool: pool.length, looks: seq.looks, meanTrials: used / repeats, meanTrialsAA: usedAA / repeats };
  });
}
