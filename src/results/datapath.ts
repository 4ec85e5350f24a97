/**
 * Same datapath, proved: two topologies of one style built by different builders (the
 * suite's `macvlan-bridge` and Docker's `docker-macvlan-bridge`) must cross the same
 * devices in the same order. The tracer names every hop by role ("c1 tx → up tx"), so
 * the hop lists of two builds of a cell compare directly (docs/methodology.md, "Builders").
 */
import type { Results } from './types.js';

export interface DatapathCell {
  readonly workload: string;
  readonly path: string;
  readonly same: boolean;
  /** the on-path hops of each build, in order */
  readonly hopsA: readonly string[];
  readonly hopsB: readonly string[];
}

export interface DatapathComparison {
  /** the style both builds make: "macvlan bridge" */
  readonly style: string;
  readonly a: string;
  readonly b: string;
  readonly builderA: string;
  readonly builderB: string;
  readonly cells: readonly DatapathCell[];
  /** every traced cell crosses the same hops in the same order */
  readonly same: boolean;
}

function styleOf(t: Results['environment']['topologies'][number]): string {
  return t.mode ? `${t.driver} ${t.mode}` : t.driver;
}

function onPathHops(results: Results, topology: string, workload: string, path: string): string[] | undefined {
  const cell = results.tracing?.cells.find((c) => c.topology === topology && c.workload === workload && c.path === path);
  if (!cell || cell.hops.length === 0) return undefined;
  return [...cell.hops].filter((h) => h.onPath).sort((x, y) => x.order - y.order).map((h) => h.hop);
}

/** Each pair of topologies of one style and different builders, the iproute2 build first where there is one. */
export function sameDatapath(results: Results): DatapathComparison[] {
  const topologies = results.environment.topologies.filter((t) => t.driver !== 'host');
  const out: DatapathComparison[] = [];
  for (const [i, a] of topologies.entries()) {
    for (const b of topologies.slice(i + 1)) {
      const builderA = a.builder ?? 'iproute2';
      const builderB = b.builder ?? 'iproute2';
      if (styleOf(a) !== styleOf(b) || builderA === builderB) continue;
      const [first, second, bA, bB] = builderB === 'iproute2' ? [b, a, builderB, builderA] : [a, b, builderA, builderB];
      const cells: DatapathCell[] = [];
      for (const c of results.tracing?.cells ?? []) {
        if (c.topology !== first.name) continue;
        const hopsA = onPathHops(results, first.name, c.workload, c.path);
        const hopsB = onPathHops(results, second.name, c.workload, c.path);
        if (!hopsA || !hopsB) continue;
        cells.push({ workload: c.workload, path: c.path, hopsA, hopsB, same: hopsA.length === hopsB.length && hopsA.every((h, k) => h === hopsB[k]) });
      }
      if (cells.length > 0) out.push({ style: styleOf(first), a: first.name, b: second.name, builderA: bA, builderB: bB, cells, same: cells.every((c) => c.same) });
    }
  }
  return out;
}

/** One line per comparison, for the terminal, Markdown and HTML reports. */
export function datapathSentence(d: DatapathComparison): string {
  if (d.same) {
    const n = d.cells[0]!.hopsA.length;
    return `${d.b} (${d.builderB}) and ${d.a} (${d.builderA}) cross the same ${n} hops in the same order in all ${d.cells.length} traced cells: the same datapath.`;
  }
  const bad = d.cells.filter((c) => !c.same);
  const first = bad[0]!;
  const onlyA = first.hopsA.filter((h) => !first.hopsB.includes(h));
  const onlyB = first.hopsB.filter((h) => !first.hopsA.includes(h));
  const diff = [onlyB.length ? `only ${d.b}: ${onlyB.join(', ')}` : '', onlyA.length ? `only ${d.a}: ${onlyA.join(', ')}` : '', !onlyA.length && !onlyB.length ? 'the same hops in another order' : ''].filter(Boolean).join('; ');
  return `${d.b} (${d.builderB}) and ${d.a} (${d.builderA}) differ in ${bad.length} of ${d.cells.length} traced cells (${first.workload} ${first.path}: ${diff}).`;
}
