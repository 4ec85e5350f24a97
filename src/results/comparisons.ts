/**
 * Which paired comparisons a run answers, and their verdicts from its trials. A run
 * compares each challenger with each baseline it is measured against: by default the
 * macvlan modes against nat, bridge and ovs; a run of named topologies compares them with
 * host, and with whatever `--against` names. One definition for the run's adaptive
 * planner, the reports and the CLI.
 */
import { headlineMetrics, type TrafficPath, type WorkloadName } from '../workloads/registry.js';
import type { Better } from '../workloads/metrics.js';
import { byCell, type Cell, cellKey, nearestPairs } from './cell.js';
import type { Results, TrialRecord } from './types.js';
import { type FamilyVerdicts, familyVerdicts, type PairedSample, type VerdictOptions } from './verdict.js';

export const CHALLENGERS = ['macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru'];
export const INCUMBENTS = ['nat', 'bridge', 'ovs', 'ebpf'];

export interface ComparisonSpec {
  readonly workload: WorkloadName;
  readonly path: TrafficPath;
  readonly metric: string;
  readonly unit: string;
  readonly better: Better;
  /** the ±margin of "no difference" for this metric (workloads/metrics.ts) */
  readonly margin: number;
  /** the challenger */
  readonly a: string;
  /** the baseline it is measured against */
  readonly b: string;
}

export interface ComparisonSides {
  readonly challengers: readonly string[];
  readonly against: readonly string[];
}

/**
 * The sides of a run's comparisons. Runs of every topology: the macvlan modes against
 * nat, bridge and ovs. Otherwise every topology named is a challenger, measured against
 * host and against `against`.
 */
export function comparisonSides(topologies: readonly string[], named: 'all' | 'some', against?: readonly string[]): ComparisonSides {
  if (named === 'all' && !against) return { challengers: CHALLENGERS.filter((t) => topologies.includes(t)), against: INCUMBENTS.filter((t) => topologies.includes(t)) };
  const base = named === 'all' ? [...(against ?? [])] : ['host', ...(against ?? []).filter((t) => t !== 'host')];
  return { challengers: topologies.filter((t) => t !== 'host' && !base.includes(t)), against: base.filter((t) => topologies.includes(t)) };
}

/** The sides recorded in a results file; runs from before they were recorded used the default. */
export function sidesOf(results: Results): ComparisonSides {
  const c = results.config;
  if (c.challengers && c.against) return { challengers: c.challengers, against: c.against };
  return comparisonSides(c.topologies, 'all');
}

export function comparisonSpecs(sides: ComparisonSides, workloads: readonly WorkloadName[], paths: readonly TrafficPath[]): ComparisonSpec[] {
  const out: ComparisonSpec[] = [];
  for (const workload of workloads) {
    for (const path of paths) {
      for (const def of headlineMetrics(workload)) {
        for (const a of sides.challengers) {
          for (const b of sides.against) out.push({ workload, path, metric: def.name, unit: def.unit, better: def.better, margin: def.margin, a, b });
        }
      }
    }
  }
  return out;
}

export function pairedSample(trials: readonly TrialRecord[], s: ComparisonSpec): PairedSample {
  const pairs = nearestPairs(trials, { topology: s.a, workload: s.workload, path: s.path }, { topology: s.b, workload: s.workload, path: s.path }, s.metric);
  return { ...pairs, better: s.better, margin: s.margin };
}

/** The two cells each comparison pairs. */
export function specCells(s: ComparisonSpec): readonly [Cell, Cell] {
  return [
    { topology: s.a, workload: s.workload, path: s.path },
    { topology: s.b, workload: s.workload, path: s.path },
  ];
}

/** Verdicts for the comparisons that have data on both sides, as one family. */
export function judge(trials: readonly TrialRecord[], specs: readonly ComparisonSpec[], opts: VerdictOptions = {}): { specs: ComparisonSpec[]; family: FamilyVerdicts } {
  // each cell's trials found once, not once per comparison (the planner judges after every trial); pairedSample keeps the measured ones
  const groups = byCell(trials);
  const of = (topology: string, s: ComparisonSpec) => groups.get(cellKey({ topology, workload: s.workload, path: s.path })) ?? [];
  const withData = specs.map((s) => ({ s, sample: pairedSample([...of(s.a, s), ...of(s.b, s)], s) })).filter((x) => x.sample.a.size > 0 && x.sample.b.size > 0);
  return { specs: withData.map((x) => x.s), family: familyVerdicts(withData.map((x) => x.sample), opts) };
}
