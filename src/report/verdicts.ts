/**
 * The claim under test: is macvlan (each mode) better than nat, bridge and ovs? One
 * paired verdict per workload, path and headline metric. Pure: results in, rows out.
 */
import { verdict, type Verdict } from '../stats/compare.js';
import type { Results, TrialRecord } from '../results/types.js';
import { metricDef, WORKLOADS, type WorkloadName } from '../workloads/registry.js';

export interface Comparison {
  readonly workload: string;
  readonly path: string;
  readonly metric: string;
  readonly unit: string;
  readonly a: string;
  readonly b: string;
  readonly verdict: Verdict;
  readonly sentence: string;
}

export const CHALLENGERS = ['macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru'];
export const INCUMBENTS = ['nat', 'bridge', 'ovs'];

/** Headline metrics per workload: the primary one, and P99 latency for request/response. */
export function headlineMetrics(workload: string): string[] {
  const wl = WORKLOADS[workload as WorkloadName];
  if (!wl) return [];
  return wl.client === 'netperf' ? [wl.primary, 'p99_us'] : [wl.primary];
}

export function blockValues(trials: readonly TrialRecord[], topology: string, workload: string, path: string, metric: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of trials) {
    if (t.warmup || t.traced || t.status !== 'ok' || t.topology !== topology || t.workload !== workload || t.path !== path) continue;
    const v = t.metrics[metric]?.value;
    if (v !== undefined && Number.isFinite(v)) m.set(t.block, v);
  }
  return m;
}

const pct = (x: number) => `${(Math.abs(x) * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(x)}`;

export function sentence(a: string, b: string, workload: string, path: string, metric: string, v: Verdict): string {
  const def = metricDef(workload as WorkloadName, metric);
  const what = `${workload} ${path}${def ? ` (${def.label}, ${def.unit})` : ''}`;
  const ci = `[${signed(v.effectLow)}, ${signed(v.effectHigh)}]`;
  const higher = def?.better !== 'lower';
  switch (v.kind) {
    case 'better':
      return higher ? `${a} is ${pct(v.effect)} ${ci} faster than ${b} on ${what}` : `${a} has ${pct(v.effect)} ${ci} lower ${def?.label ?? metric} than ${b} on ${workload} ${path}`;
    case 'worse':
      return higher ? `${a} is ${pct(v.effect)} ${ci} slower than ${b} on ${what}` : `${a} has ${pct(v.effect)} ${ci} higher ${def?.label ?? metric} than ${b} on ${workload} ${path}`;
    case 'same':
      return `no significant difference between ${a} and ${b} on ${what}: ${signed(v.effect)} ${ci}`;
    case 'inconclusive':
      return `inconclusive for ${a} vs ${b} on ${what}: ${v.reason}`;
  }
}

export function compareAll(results: Results, challengers = CHALLENGERS, incumbents = INCUMBENTS): Comparison[] {
  const present = new Set(results.config.topologies);
  const out: Comparison[] = [];
  for (const workload of results.config.workloads) {
    for (const path of results.config.paths) {
      for (const metric of headlineMetrics(workload)) {
        const def = metricDef(workload as WorkloadName, metric)!;
        for (const a of challengers.filter((t) => present.has(t))) {
          const av = blockValues(results.trials, a, workload, path, metric);
          if (av.size === 0) continue;
          for (const b of incumbents.filter((t) => present.has(t))) {
            const bv = blockValues(results.trials, b, workload, path, metric);
            if (bv.size === 0) continue;
            const v = verdict(av, bv, def.better);
            out.push({ workload, path, metric, unit: def.unit, a, b, verdict: v, sentence: sentence(a, b, workload, path, metric, v) });
          }
        }
      }
    }
  }
  return out;
}

export interface ClaimSummary {
  readonly better: number;
  readonly worse: number;
  readonly same: number;
  readonly inconclusive: number;
  readonly text: string;
}

export function claimSummary(rows: readonly Comparison[]): ClaimSummary {
  const count = (k: string) => rows.filter((r) => r.verdict.kind === k).length;
  const [better, worse, same, inconclusive] = [count('better'), count('worse'), count('same'), count('inconclusive')];
  const decided = better + worse + same;
  let text: string;
  if (rows.length === 0) text = 'No comparison was possible: the run needs macvlan and at least one of nat, bridge or ovs on a common workload and path.';
  else if (decided === 0) text = `The claim "macvlan is faster" is undecided: all ${rows.length} comparisons are inconclusive (run more trials).`;
  else {
    const holds = better > 0 && worse === 0 ? 'holds' : worse > better ? 'does not hold' : 'holds only in part';
    text = `The claim "macvlan is faster" ${holds} on this host: macvlan is better in ${better}, worse in ${worse}, no different in ${same} and inconclusive in ${inconclusive} of ${rows.length} paired comparisons.`;
  }
  return { better, worse, same, inconclusive, text };
}
