/**
 * Path diagrams: for each traced workload and path, one row per topology showing the
 * places a followed packet passes (interface and event, named in plain words), joined by
 * segments labelled with their mean and P99 time; the costliest segment of each row is
 * highlighted. macvlan, bridge, nat and ovs sit one under another, so the length of each
 * path and where its time goes can be compared at a glance. Vega-Lite, built from
 * results alone (pure).
 */
import { observerName } from '../results/tracing.js';
import type { HopSummary, Results, TracingCell } from '../results/types.js';
import type { Chart } from './charts.js';
import { shortRole } from './roles.js';
import { topologyLabel } from './verdicts.js';

/** macvlan first, then the alternatives, then the baseline; others after. */
const ROW_ORDER = ['macvlan-bridge', 'macvlan-vepa', 'macvlan-private', 'macvlan-passthru', 'bridge', 'nat', 'ovs', 'host'];

export interface DiagramNode {
  readonly kind: 'node';
  readonly topology: string;
  readonly x: number;
  readonly role: string;
  readonly event: string;
  readonly label: string;
}

export interface DiagramSegment {
  readonly kind: 'segment';
  readonly topology: string;
  readonly x0: number;
  readonly x1: number;
  readonly xm: number;
  readonly hop: string;
  readonly meanUs: number | null;
  readonly p99Us: number | null;
  readonly packets: number;
  readonly costliest: boolean;
  readonly label: string;
}

export interface DiagramTotal {
  readonly kind: 'total';
  readonly topology: string;
  readonly x: number;
  readonly label: string;
}

export type DiagramDatum = DiagramNode | DiagramSegment | DiagramTotal;

const us = (x: number | null): string => (x === null || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function side(text: string): { role: string; event: string } {
  const [role = text, event = ''] = text.split(' ');
  return { role, event };
}

/** The places and segments of one traced cell, along its path (hops off the main path left out). */
export function diagramRows(cell: TracingCell, topology: string, driver: string | null): DiagramDatum[] {
  const hops: HopSummary[] = cell.hops.filter((h) => h.onPath).sort((a, b) => a.order - b.order);
  if (!hops.length) return [];
  const out: DiagramDatum[] = [];
  const first = side(hops[0]!.hop.split(' → ')[0]!);
  let prevRole = '';
  const node = (x: number, p: { role: string; event: string }) => {
    // name a device once, where the packet reaches it; further events on it only say what happened
    out.push({ kind: 'node', topology, x, role: p.role, event: p.event, label: p.role === prevRole ? p.event : `${shortRole(p.role, driver)}\n${p.event}` });
    prevRole = p.role;
  };
  node(0, first);
  const most = Math.max(...hops.map((h) => h.meanUs ?? -1));
  hops.forEach((h, i) => {
    out.push({
      kind: 'segment',
      topology,
      x0: i,
      x1: i + 1,
      xm: i + 0.5,
      hop: h.hop,
      meanUs: h.meanUs,
      p99Us: h.p99Us,
      packets: h.packets,
      costliest: h.meanUs !== null && h.meanUs === most,
      label: `${us(h.meanUs)} µs\nP99 ${us(h.p99Us)}`,
    });
    node(i + 1, side(h.hop.split(' → ')[1] ?? ''));
  });
  out.push({ kind: 'total', topology, x: hops.length + 0.35, label: `end to end: mean ${us(cell.meanUs)} µs, P99 ${us(cell.p99Us)} µs (${hops.length} steps)` });
  return out;
}

const Y = { datum: 0.5, type: 'quantitative', scale: { domain: [0, 1] }, axis: null } as const;
const RED = '#d62728';

/** The layers of one row: steps (the costliest red and thicker), their labels, the places, their names, the total. */
function layers(steps: number): Record<string, unknown>[] {
  const x = (field: string) => ({ field, type: 'quantitative', scale: { domain: [-0.6, steps + 3.2] }, axis: null });
  const only = (kind: DiagramDatum['kind']) => [{ filter: `datum.kind === '${kind}'` }];
  return [
    {
      transform: only('segment'),
      mark: { type: 'rule' },
      encoding: {
        x: x('x0'),
        x2: { field: 'x1' },
        y: Y,
        color: { condition: { test: 'datum.costliest', value: RED }, value: '#9e9e9e' },
        strokeWidth: { condition: { test: 'datum.costliest', value: 5 }, value: 2.5 },
        tooltip: [{ field: 'hop', title: 'step' }, { field: 'meanUs', title: 'mean (µs)', format: ',.3~f' }, { field: 'p99Us', title: 'P99 (µs)', format: ',.3~f' }, { field: 'packets', title: 'packets' }],
      },
    },
    {
      transform: only('segment'),
      mark: { type: 'text', baseline: 'top', dy: 8, fontSize: 10, lineBreak: '\n' },
      encoding: { x: x('xm'), y: Y, text: { field: 'label' }, color: { condition: { test: 'datum.costliest', value: RED }, value: '#333333' } },
    },
    {
      transform: only('node'),
      mark: { type: 'point', filled: true, size: 90, color: '#4c78a8' },
      encoding: { x: x('x'), y: Y, tooltip: [{ field: 'role', title: 'interface role' }, { field: 'event' }] },
    },
    {
      transform: only('node'),
      mark: { type: 'text', baseline: 'bottom', dy: -12, fontSize: 10, lineBreak: '\n' },
      encoding: { x: x('x'), y: Y, text: { field: 'label' } },
    },
    {
      transform: only('total'),
      mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 11, fontWeight: 'bold' },
      encoding: { x: x('x'), y: Y, text: { field: 'label' } },
    },
  ];
}

/** One diagram per traced workload and path with at least one followed packet. */
export function pathDiagrams(results: Results): Chart[] {
  const cells = results.tracing?.cells ?? [];
  const drivers = new Map(results.environment.topologies.map((t) => [t.name, t.driver]));
  const rank = (t: string) => (ROW_ORDER.includes(t) ? ROW_ORDER.indexOf(t) : ROW_ORDER.length);
  const lanes = new Map<string, TracingCell[]>();
  for (const c of cells) if (c.hops.some((h) => h.onPath)) lanes.set(`${c.workload} ${c.path}`, [...(lanes.get(`${c.workload} ${c.path}`) ?? []), c]);
  return [...lanes.values()].map((lane) => {
    const sorted = [...lane].sort((a, b) => rank(a.topology) - rank(b.topology) || a.topology.localeCompare(b.topology));
    const values = sorted.flatMap((c) => diagramRows(c, topologyLabel(results, c.topology), drivers.get(c.topology) ?? null));
    const steps = Math.max(...sorted.map((c) => c.hops.filter((h) => h.onPath).length));
    const { workload, path } = lane[0]!;
    return {
      id: `path-${workload}-${path}`,
      title: `The path of a packet, ${workload} ${path}: each step's mean and P99 time (µs); the costliest step of each topology in red (${observerName(results.tracing)})`,
      spec: {
        data: { values },
        facet: { row: { field: 'topology', type: 'nominal', sort: sorted.map((c) => topologyLabel(results, c.topology)), title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold', labelFontSize: 12 } } },
        spacing: 6,
        spec: { width: Math.max(520, (steps + 4) * 92), height: 74, layer: layers(steps) },
      },
    };
  });
}
