/**
 * `bench doctor --noise`: the machine's noise profile. It builds the host topology,
 * runs one long iperf3 stream from hostA to the peer reporting every 100 ms (pinned as
 * a run's trials are), tears down, and reads from that one series how far apart two
 * measurements fall by their length and the time between them, the Allan deviation,
 * and how many pairs a ±5% verdict would need under each trial design.
 * docs/methodology.md ("Trial design") explains what the figures mean.
 */
import { cpus } from 'node:os';
import { ensureOk, type Runner } from '../exec/runner.js';
import { Ledger, processEntry } from '../lab/ledger.js';
import type { StateDirs } from '../lab/state.js';
import { allanDeviation, pairsForMargin, type SpreadCell, spreadTable } from '../stats/noise.js';
import { buildTopology, teardownBuilt } from '../topology/build.js';
import { resolveTopologyArg } from '../topology/registry.js';
import { type RoutePlan, resolveRoute } from '../topology/routes.js';
import type { NoiseEnv } from '../results/types.js';
import { PORTS } from '../workloads/ports.js';
import { RATE_MARGIN } from '../workloads/metrics.js';
import { delay } from '../util/delay.js';

export const NOISE_STEP_S = 0.1;
export const NOISE_LENGTHS_S = [0.1, 0.2, 0.5, 1] as const;
export const NOISE_GAPS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10] as const;

export interface DesignEstimate {
  readonly design: string;
  /** seconds between the starts of a comparison's two trials, on average */
  readonly gapS: number;
  readonly spread: number;
  /** pairs a ±5% verdict on two equal things would need */
  readonly pairs: number;
  /** trials one block of a lane runs (8 topologies, 12 comparisons: the quick run) */
  readonly trialsPerBlock: number;
  /** seconds of trials those pairs cost in one lane */
  readonly seconds: number;
}

export interface NoiseProfile {
  readonly seconds: number;
  readonly stepS: number;
  /** Gbit/s every step */
  readonly series: readonly number[];
  readonly meanGbps: number;
  readonly allan: readonly { readonly tauS: number; readonly deviation: number }[];
  readonly spreads: readonly SpreadCell[];
  readonly designs: readonly DesignEstimate[];
}

/** The 100 ms throughputs of an iperf3 JSON report with `-i 0.1`. */
export function iperf3Series(stdout: string): number[] {
  const data: unknown = JSON.parse(stdout);
  if (typeof data !== 'object' || data === null || !('intervals' in data) || !Array.isArray(data.intervals)) throw new Error('iperf3 gave no intervals');
  return data.intervals.flatMap((i: unknown) => {
    const bps = typeof i === 'object' && i !== null && 'sum' in i && typeof i.sum === 'object' && i.sum !== null && 'bits_per_second' in i.sum ? Number(i.sum.bits_per_second) : NaN;
    return Number.isFinite(bps) && bps > 0 ? [bps / 1e9] : [];
  });
}

/**
 * From a series, the profile. The designs are those of a quick run of every topology
 * (8 topologies, 12 comparisons in a lane, 1 s trials taking about 1.1 s each): each cell
 * once in a shuffled lane (the two sides of a comparison on average (8 + 1) / 3 trials
 * apart), or each comparison's sides back to back (one trial apart, about 14 trials a
 * block: run/schedule.ts).
 */
export function profileOf(series: readonly number[], stepS = NOISE_STEP_S, alpha = 0.05): NoiseProfile {
  const trialS = 1.1;
  const spreads = spreadTable(series, stepS, NOISE_LENGTHS_S, NOISE_GAPS_S);
  const at = (gapS: number) => spreadTable(series, stepS, [1], [gapS])[0]!.spread;
  const design = (name: string, gapTrials: number, trialsPerBlock: number): DesignEstimate => {
    const gapS = gapTrials * trialS;
    const spread = at(gapS);
    const pairs = pairsForMargin(spread, RATE_MARGIN, alpha);
    return { design: name, gapS, spread, pairs, trialsPerBlock, seconds: pairs * trialsPerBlock * trialS };
  };
  return {
    seconds: series.length * stepS,
    stepS,
    series,
    meanGbps: series.reduce((s, x) => s + x, 0) / Math.max(1, series.length),
    allan: [0.1, 1, 10].map((tauS) => ({ tauS, deviation: allanDeviation(series, stepS, tauS) })),
    spreads,
    designs: [design('block: each cell once per shuffled lane', 3, 8), design('adjacent: each comparison back to back', 1, 14)],
  };
}

/** The spreads a run's short profile keeps: two 1-s figures these many seconds apart (those the profile is long enough for). */
export const RUN_NOISE_GAPS_S = [1, 2, 5] as const;

/** What a run keeps of its noise profile (results.json environment.noise). */
export function noiseSummary(series: readonly number[], stepS = NOISE_STEP_S, alpha = 0.05): NoiseEnv {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  const spreads = spreadTable(series, stepS, [1], RUN_NOISE_GAPS_S)
    .filter((c) => c.pairs >= 3 && Number.isFinite(c.spread))
    .map((c) => ({ gapS: c.gapS, spread: c.spread, pairs: finite(pairsForMargin(c.spread, RATE_MARGIN, alpha)) }));
  return {
    seconds: Number((series.length * stepS).toFixed(3)),
    stepS,
    meanGbps: series.reduce((s, x) => s + x, 0) / Math.max(1, series.length),
    spreads,
    allan: [0.1, 1].map((tauS) => ({ tauS, deviation: finite(allanDeviation(series, stepS, tauS)) })),
  };
}

/**
 * One iperf3 stream over a route for `seconds`, a figure every 100 ms (pinned as a run's
 * trials are, on two CPUs or more): its Gbit/s. The server is in the topology's ledger,
 * so that `bench clean` stops it after a SIGKILL.
 */
export async function streamSeries(runner: Runner, plan: RoutePlan, seconds: number, ledger: Ledger): Promise<number[]> {
  const pin = cpus().length >= 2;
  const server = await runner.start({ program: 'iperf3', args: ['-s', '-1', '-p', String(PORTS.iperf3)], netns: plan.server.netns, timeoutMs: (seconds + 60) * 1000, ...(pin ? { cpu: 1 } : {}) });
  ledger.append(processEntry(server, 'iperf3', plan.server.netns));
  try {
    await delay(300);
    const r = ensureOk(await runner.run({ program: 'iperf3', args: ['-c', plan.target, '-p', String(PORTS.iperf3), '-t', String(seconds), '-i', String(NOISE_STEP_S), '-J'], netns: plan.client.netns, timeoutMs: (seconds + 30) * 1000, ...(pin ? { cpu: 0 } : {}) }));
    return iperf3Series(r.stdout);
  } finally {
    await server.stop(500);
  }
}

/** Build host, stream for `seconds` reporting every 100 ms, tear down; the profile. */
export async function measureNoise(runner: Runner, state: StateDirs, tag: string, seconds: number, log: (l: string) => void = () => {}): Promise<NoiseProfile> {
  const spec = resolveTopologyArg('host');
  log('building host');
  const built = await buildTopology(spec, { runner, state, tag, slot: 0, command: 'bench doctor --noise' });
  try {
    const route = resolveRoute(spec, built, 'c1-peer');
    if (!route.ok) throw new Error(route.reason);
    log(`streaming for ${seconds} s, a figure every ${NOISE_STEP_S * 1000} ms`);
    return profileOf(await streamSeries(runner, route.plan, seconds, Ledger.open(built.ledgerPath)));
  } finally {
    log('tearing down');
    await teardownBuilt(built, runner, state);
  }
}
