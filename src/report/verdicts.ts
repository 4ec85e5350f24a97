/**
 * The claim under test: is macvlan (each mode) better than the alternatives? One paired
 * verdict per workload, path, headline metric and pair of topologies, judged as one
 * family (results/verdict.ts), and a claim broken down per alternative. Every ovs label
 * names its datapath. Pure: results in, rows out.
 */
import { comparisonSpecs, judge, sidesOf } from '../results/comparisons.js';
import type { Results } from '../results/types.js';
import type { Verdict } from '../results/verdict.js';
import { metricDef, type TrafficPath, type WorkloadName } from '../workloads/registry.js';

export interface Comparison {
  readonly workload: WorkloadName;
  readonly path: TrafficPath;
  readonly metric: string;
  readonly unit: string;
  readonly a: string;
  readonly b: string;
  /** b as reports name it: ovs with its datapath */
  readonly bLabel: string;
  readonly verdict: Verdict;
  readonly sentence: string;
}

export interface Comparisons {
  readonly rows: Comparison[];
  /** the level every interval is reported at, e.g. 0.95 */
  readonly level: number;
  /** how the family of comparisons is corrected, for the report */
  readonly correction: string;
}

const EBPF_LABEL = 'eBPF host routing';
/** What the claim says the ebpf style is, where it names the alternatives. */
const EBPF_CLAIM = 'eBPF host routing, Cilium-style, built by this suite; not Cilium itself';

/** A topology's name as reports give it: ovs names its datapath, since it decides ovs's speed; ebpf says what it is and is not. */
export function topologyLabel(results: Results, name: string): string {
  const t = results.environment.topologies.find((x) => x.name === name);
  if (t?.driver === 'ebpf') return `${name} (${EBPF_LABEL})`;
  if (!t?.datapath) return name;
  return `${name} (${t.datapath === 'netdev' ? 'userspace netdev datapath' : 'kernel datapath'})`;
}

const pct = (x: number) => `${(Math.abs(x) * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(x)}`;
/** +2196.8% reads badly: beyond doubling, say how many times as fast */
const size = (e: number) => (e >= 1 ? `${(1 + e).toFixed(1)}×` : pct(e));

export function sentence(a: string, b: string, workload: WorkloadName, path: TrafficPath, metric: string, v: Verdict): string {
  const def = metricDef(workload, metric);
  const what = `${workload} ${path}${def ? ` (${def.label}, ${def.unit})` : ''}`;
  const ci = `[${signed(v.effectLow)}, ${signed(v.effectHigh)}]`;
  const higher = def?.better !== 'lower';
  const label = def?.label ?? metric;
  switch (v.kind) {
    case 'better':
      if (!higher) return `${a} has ${pct(v.effect)} ${ci} lower ${label} than ${b} on ${workload} ${path}`;
      return v.effect >= 1 ? `${a} is ${size(v.effect)} as fast as ${b} on ${what} ${ci}` : `${a} is ${pct(v.effect)} ${ci} faster than ${b} on ${what}`;
    case 'worse':
      return higher ? `${a} is ${pct(v.effect)} ${ci} slower than ${b} on ${what}` : `${a} has ${pct(v.effect)} ${ci} higher ${label} than ${b} on ${workload} ${path}`;
    case 'same':
      return `${a} is within ±${pct(v.margin)} of ${b} on ${what}: ${signed(v.effect)} ${ci}`;
    case 'inconclusive': {
      const bounds = rulesOut(a, b, v, higher, label);
      return `inconclusive for ${a} vs ${b} on ${what}${bounds ? ` (${bounds})` : ''}: ${v.reason}`;
    }
  }
}

/**
 * What an undecided comparison still rules out, from its interval: "macvlan-bridge is at
 * most 7.0% slower and at most 12.0% faster than bridge". Nothing when the interval is unbounded.
 */
export function rulesOut(a: string, b: string, v: Verdict, higher: boolean, label: string): string | undefined {
  if (!Number.isFinite(v.effectLow) || !Number.isFinite(v.effectHigh)) return undefined;
  const bad = v.effectLow < 0 ? `at most ${pct(v.effectLow)} ${higher ? 'slower' : `higher ${label}`}` : `at least ${pct(v.effectLow)} ${higher ? 'faster' : `lower ${label}`}`;
  const good = v.effectHigh > 0 ? `at most ${pct(v.effectHigh)} ${higher ? 'faster' : `lower ${label}`}` : `at least ${pct(v.effectHigh)} ${higher ? 'slower' : `higher ${label}`}`;
  return `${a} is ${bad} and ${good} than ${b}`;
}

export function compareAll(results: Results): Comparisons {
  const c = results.config;
  // a run is judged as it was measured: runs from before the estimator was recorded used the mean
  const estimator = c.estimator ?? 'mean';
  const { specs, family } = judge(results.trials, comparisonSpecs(sidesOf(results), c.workloads, c.paths), { estimator });
  const rows = specs.map((s, i) => {
    const v = family.verdicts[i]!;
    const bLabel = topologyLabel(results, s.b);
    return { workload: s.workload, path: s.path, metric: s.metric, unit: s.unit, a: s.a, b: s.b, bLabel, verdict: v, sentence: sentence(s.a, bLabel, s.workload, s.path, s.metric, v) };
  });
  const level = 1 - family.alpha;
  const how = estimator === 'robust' ? 'robust anytime-valid intervals on the Huber location of the per-block log ratios, in which a glitching trial far from the others pays nothing and any other moves the evidence by a bounded factor' : 'anytime-valid intervals on the mean of the per-block log ratios';
  const correction = `${rows.length} comparisons judged as one family: ${how} (they stay valid however often the run looked), reported at ${(level * 100).toPrecision(4)}% each so that at most 5% of the decided verdicts are expected to be wrong (e-BY false coverage rate control; docs/methodology.md)`;
  return { rows, level, correction };
}

export interface Tally {
  readonly better: number;
  readonly worse: number;
  readonly same: number;
  readonly inconclusive: number;
}

export interface ClaimSummary extends Tally {
  readonly text: string;
  /** one line per alternative: "vs nat: better in 12 …" */
  readonly perAlternative: readonly string[];
}

function tally(rows: readonly Comparison[]): Tally {
  const count = (k: string) => rows.filter((r) => r.verdict.kind === k).length;
  return { better: count('better'), worse: count('worse'), same: count('same'), inconclusive: count('inconclusive') };
}

/** Share of an alternative's comparisons that must be decided before the claim may be said to hold, or not to. */
export const CLAIM_DECIDED_SHARE = 0.75;

/**
 * What the data say about the claim, never more: "holds" only with three quarters of the
 * comparisons decided and none worse; with fewer decided, which way the decided ones
 * point, or "not shown".
 */
export function holds(t: Tally): string {
  const n = t.better + t.worse + t.same + t.inconclusive;
  const decided = t.better + t.worse + t.same;
  if (decided === 0) return 'is not shown (nothing decided)';
  if (decided < CLAIM_DECIDED_SHARE * n) {
    const which = t.worse === 0 && t.same === 0 ? 'all better' : t.better === 0 && t.same === 0 ? 'all worse' : `${t.better} better, ${t.worse} worse, ${t.same} within the margin`;
    const way = t.worse === 0 && t.better > 0 ? 'points the same way' : t.better === 0 && t.worse > 0 ? 'points the other way' : t.better === 0 && t.worse === 0 ? 'finds no difference so far' : 'points both ways';
    return `is not shown: it ${way} (${decided} of ${n} decided, ${which})`;
  }
  if (t.worse === 0 && t.better > 0) return 'holds';
  return t.worse > t.better ? 'does not hold' : t.better === 0 && t.worse === 0 ? 'does not hold (no difference)' : 'holds only in part';
}

const tallyText = (t: Tally, n: number) => `better in ${t.better}, worse in ${t.worse}, within the margin in ${t.same}, inconclusive in ${t.inconclusive} of ${n}`;

export function claimSummary(rows: readonly Comparison[]): ClaimSummary {
  const all = tally(rows);
  if (rows.length === 0) return { ...all, perAlternative: [], text: 'No comparison was possible: no topology was measured beside its baseline on a common workload and path.' };
  const challengers = [...new Set(rows.map((r) => r.a))];
  const who = challengers.every((a) => a.startsWith('macvlan-')) ? 'macvlan' : challengers.join(', ');
  const perAlternative = [...new Set(rows.map((r) => r.bLabel))].map((b) => {
    const mine = rows.filter((r) => r.bLabel === b);
    return `vs ${b.replace(`(${EBPF_LABEL})`, `(${EBPF_CLAIM})`)}: ${holds(tally(mine))}; ${tallyText(tally(mine), mine.length)}`;
  });
  const userspace = rows.some((r) => r.bLabel.includes('userspace'));
  const note = userspace ? ' Wins against ovs on its userspace netdev datapath (this kernel has no openvswitch module) say nothing about ovs on the kernel datapath that most deployments use.' : '';
  const text = `The claim "${who} is faster" ${holds(all)} on this host: ${tallyText(all, rows.length)} paired comparisons.${note}`;
  return { ...all, perAlternative, text };
}
