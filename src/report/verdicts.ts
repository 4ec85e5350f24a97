/**
 * The claim under test: is macvlan (each mode) better than nat, bridge and ovs? One
 * paired verdict per workload, path and headline metric. Pure: results in, rows out.
 */
import { blockValues } from '../results/cell.js';
import type { Results } from '../results/types.js';
import { verdict, type Verdict } from '../results/verdict.js';
import { headlineMetrics, metricDef, type TrafficPath, type WorkloadName } from '../workloads/registry.js';

export interface Comparison {
  readonly workload: WorkloadName;
  readonly path: TrafficPath;
  readonly metric: string;
  readonly unit: string;
  readonly a: string;
  readonly b: string;
  readonly verdict: Verdict;
  readonly sentence: string;
}

export const CHALLENGERS = ['macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru'];
export const INCUMBENTS = ['nat', 'bridge', 'ovs'];

const pct = (x: number) => `${(Math.abs(x) * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(x)}`;

export function sentence(a: string, b: string, workload: WorkloadName, path: TrafficPath, metric: string, v: Verdict): string {
  const def = metricDef(workload, metric);
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
      for (const def of headlineMetrics(workload)) {
        for (const a of challengers.filter((t) => present.has(t))) {
          const av = blockValues(results.trials, { topology: a, workload, path }, def.name);
          if (av.size === 0) continue;
          for (const b of incumbents.filter((t) => present.has(t))) {
            const bv = blockValues(results.trials, { topology: b, workload, path }, def.name);
            if (bv.size === 0) continue;
            const v = verdict(av, bv, def.better);
            out.push({ workload, path, metric: def.name, unit: def.unit, a, b, verdict: v, sentence: sentence(a, b, workload, path, def.name, v) });
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
