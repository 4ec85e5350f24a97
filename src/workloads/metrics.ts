/**
 * What a metric is: its unit, which direction is better, and how a ratio between two
 * figures reads as an improvement. Verdicts, the gate and every renderer use these.
 */
export type Better = 'higher' | 'lower';

export interface MetricDef {
  readonly name: string;
  readonly unit: string;
  readonly better: Better;
  readonly label: string;
  /** every working trial measures more than zero (rates, latencies, CPU cost); false for counts such as retransmits */
  readonly positive: boolean;
  /**
   * The ±margin of "no difference" in a verdict, and the least effect that counts as
   * better or worse: ±5% for rates, ±10% for tail latency, whose per-pair spread is
   * about twice a rate's (docs/methodology.md, "The verdict").
   */
  readonly margin: number;
}

/** The margin of rates and everything but tail latency. */
export const RATE_MARGIN = 0.05;
/** The margin of tail (P99) latency. */
export const TAIL_MARGIN = 0.1;

export const P99 = 'p99_us';

/**
 * Improvement of a over b given the ratio a/b and which direction is better: +0.12 is
 * 12% faster (higher-better) or 12% lower (lower-better: 1 - ratio, never above 100%).
 */
export function improvement(ratio: number, better: Better): number {
  return better === 'higher' ? ratio - 1 : 1 - ratio;
}

/** An interval of ratios as an interval of improvements, low end first. */
export function improvementInterval(ratioLow: number, ratioHigh: number, better: Better): readonly [number, number] {
  const a = improvement(ratioLow, better);
  const b = improvement(ratioHigh, better);
  return a <= b ? [a, b] : [b, a];
}
