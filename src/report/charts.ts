/**
 * Vega-Lite specs for the report, built from results alone (pure). Every chart has a
 * title, axis titles with units, and tooltips with the exact figures; each topology has
 * one colour everywhere.
 */
import { observerName } from '../results/tracing.js';
import type { Results } from '../results/types.js';
import { isBuiltinName, TOPOLOGY_NAMES } from '../topology/registry.js';
import { topologyLabel } from './verdicts.js';
import { metricDef, workload } from '../workloads/registry.js';
import { pathDiagrams } from './paths.js';
import { isPrimary } from './select.js';

export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly spec: Record<string, unknown>;
}

const PALETTE: Record<string, string> = {
  host: '#6b6b6b',
  nat: '#e45756',
  bridge: '#4c78a8',
  ovs: '#b279a2',
  'macvlan-bridge': '#54a24b',
  'macvlan-vepa': '#2ca6a4',
  'macvlan-private': '#9d9b2e',
  'macvlan-passthru': '#1b6e3a',
};
const EXTRA = ['#f58518', '#72b7b2', '#ff9da6', '#9d755d', '#bab0ac'];

/** The colour scale every chart shares: fixed for the built-in topologies, stable for others. */
export function topologyScale(results: Results): { domain: string[]; range: string[] } {
  const names = [...TOPOLOGY_NAMES.filter((n) => results.config.topologies.includes(n)), ...results.config.topologies.filter((n) => !isBuiltinName(n))];
  return { domain: names.map((n) => topologyLabel(results, n)), range: names.map((n, i) => PALETTE[n] ?? EXTRA[i % EXTRA.length]!) };
}

const round = (x: number | null, d = 4) => (x === null || !Number.isFinite(x) ? null : Number(x.toPrecision(d)));

function colour(results: Results) {
  return { field: 'topology', type: 'nominal', title: 'topology', scale: topologyScale(results), sort: topologyScale(results).domain };
}

function cell(workload: string, path: string): string {
  return `${workload} · ${path}`;
}

/** Throughput-like headline figures (streams and UDP): bars with CI error bars and the host line. */
function throughputChart(results: Results): Chart | undefined {
  const rows = results.summary
    .filter((s) => workload(s.workload).client === 'iperf3' && isPrimary(s) && s.median !== null)
    .map((s) => {
      const host = results.summary.find((h) => h.topology === 'host' && h.workload === s.workload && h.path === s.path && h.metric === s.metric);
      return { topology: topologyLabel(results, s.topology), cell: cell(s.workload, s.path), metric: `${metricDef(s.workload, s.metric)?.label} (${s.unit})`, median: round(s.median), ciLow: round(s.ciLow), ciHigh: round(s.ciHigh), host: round(host?.median ?? null), n: s.n, cov: round(s.cov, 3) };
    });
  if (rows.length === 0) return undefined;
  return {
    id: 'throughput',
    title: 'Throughput per topology (median, CI error bars; grey rule: host)',
    spec: {
      data: { values: rows },
      facet: { field: 'cell', type: 'nominal', title: 'workload · path' },
      columns: 3,
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 260,
        height: 200,
        layer: [
          {
            mark: 'bar',
            encoding: {
              x: { field: 'topology', type: 'nominal', title: 'topology', sort: topologyScale(results).domain, axis: { labelAngle: -40 } },
              y: { field: 'median', type: 'quantitative', title: 'median (Gbit/s or packets/s)' },
              color: colour(results),
              tooltip: [
                { field: 'topology' },
                { field: 'cell', title: 'workload · path' },
                { field: 'metric' },
                { field: 'median', format: ',.4~g' },
                { field: 'ciLow', title: 'CI low', format: ',.4~g' },
                { field: 'ciHigh', title: 'CI high', format: ',.4~g' },
                { field: 'cov', title: 'CoV', format: '.1%' },
                { field: 'n', title: 'trials' },
              ],
            },
          },
          { mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: 'topology', type: 'nominal', sort: topologyScale(results).domain }, y: { field: 'ciLow', type: 'quantitative' }, y2: { field: 'ciHigh' } } },
          {
            // cells without a host figure (c1-c2) draw an invisible line at 0, so every panel has a finite extent
            transform: [{ calculate: 'isValid(datum.host) ? datum.host : 0', as: 'hostLine' }],
            mark: { type: 'rule', color: '#333', strokeDash: [4, 3] },
            encoding: { y: { field: 'hostLine', type: 'quantitative' }, opacity: { condition: { test: 'isValid(datum.host)', value: 1 }, value: 0 } },
          },
        ],
      },
    },
  };
}

function latencyChart(results: Results): Chart | undefined {
  const rows = results.summary
    .filter((s) => ['p50_us', 'p90_us', 'p99_us'].includes(s.metric) && s.median !== null)
    .map((s) => ({ topology: topologyLabel(results, s.topology), cell: cell(s.workload, s.path), percentile: s.metric.slice(0, 3).toUpperCase(), latency: round(s.median), ciLow: round(s.ciLow), ciHigh: round(s.ciHigh), n: s.n }));
  if (rows.length === 0) return undefined;
  return {
    id: 'latency',
    title: 'Request/response latency percentiles per topology (netperf, µs)',
    spec: {
      data: { values: rows },
      facet: { field: 'cell', type: 'nominal', title: 'workload · path' },
      columns: 3,
      spec: {
        width: 240,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'percentile', type: 'ordinal', title: 'percentile', sort: ['P50', 'P90', 'P99'] },
          y: { field: 'latency', type: 'quantitative', title: 'latency (µs)' },
          color: colour(results),
          tooltip: [{ field: 'topology' }, { field: 'cell', title: 'workload · path' }, { field: 'percentile' }, { field: 'latency', title: 'median latency (µs)', format: ',.4~g' }, { field: 'ciLow', title: 'CI low (µs)' }, { field: 'ciHigh', title: 'CI high (µs)' }, { field: 'n', title: 'trials' }],
        },
      },
    },
  };
}

function ratioChart(results: Results): Chart | undefined {
  const rows = results.summary
    .filter((s) => s.ratioToHost && isPrimary(s))
    .map((s) => ({ topology: topologyLabel(results, s.topology), cell: cell(s.workload, s.path), ratio: round(s.ratioToHost!.median), ciLow: round(s.ratioToHost!.ciLow), ciHigh: round(s.ratioToHost!.ciHigh), n: s.ratioToHost!.n, metric: s.metric }));
  if (rows.length === 0) return undefined;
  return {
    id: 'ratio',
    title: 'Ratio to host, paired per block (1 = as fast as the host; higher is better for every headline metric shown)',
    spec: {
      data: { values: rows },
      facet: { row: { field: 'cell', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } } },
      spec: {
        width: 420,
        height: { step: 16 },
        layer: [
          { mark: { type: 'rule', color: '#999' }, encoding: { x: { datum: 1, type: 'quantitative' } } },
          { mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'topology', type: 'nominal', sort: topologyScale(results).domain, title: null }, x: { field: 'ciLow', type: 'quantitative', title: 'ratio to host (median, CI)' }, x2: { field: 'ciHigh' }, color: colour(results) } },
          {
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              y: { field: 'topology', type: 'nominal', sort: topologyScale(results).domain },
              x: { field: 'ratio', type: 'quantitative' },
              color: colour(results),
              tooltip: [{ field: 'topology' }, { field: 'cell', title: 'workload · path' }, { field: 'metric' }, { field: 'ratio', title: 'ratio to host', format: '.3f' }, { field: 'ciLow', title: 'CI low', format: '.3f' }, { field: 'ciHigh', title: 'CI high', format: '.3f' }, { field: 'n', title: 'pairs' }],
            },
          },
        ],
      },
    },
  };
}

function cpuChart(results: Results): Chart | undefined {
  const rows = results.summary
    .filter((s) => /^cpu_/.test(s.metric) && s.metric !== 'cpu_busy_s' && s.median !== null)
    .map((s) => ({ topology: topologyLabel(results, s.topology), cell: `${cell(s.workload, s.path)} (${s.unit})`, cost: round(s.median), ciLow: round(s.ciLow), ciHigh: round(s.ciHigh), unit: s.unit }));
  if (rows.length === 0) return undefined;
  return {
    id: 'cpu',
    title: 'CPU cost per unit of work (machine-wide CPU time / work done; lower is better)',
    spec: {
      data: { values: rows },
      facet: { field: 'cell', type: 'nominal', title: 'workload · path (unit)' },
      columns: 3,
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 240,
        height: 180,
        layer: [
          {
            mark: 'bar',
            encoding: {
              x: { field: 'topology', type: 'nominal', sort: topologyScale(results).domain, axis: { labelAngle: -40 } },
              y: { field: 'cost', type: 'quantitative', title: 'CPU cost (see panel unit)' },
              color: colour(results),
              tooltip: [{ field: 'topology' }, { field: 'cell', title: 'workload · path' }, { field: 'cost', title: 'median cost', format: ',.4~g' }, { field: 'unit' }, { field: 'ciLow', title: 'CI low' }, { field: 'ciHigh', title: 'CI high' }],
            },
          },
          { mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: 'topology', type: 'nominal', sort: topologyScale(results).domain }, y: { field: 'ciLow', type: 'quantitative' }, y2: { field: 'ciHigh' } } },
        ],
      },
    },
  };
}

function setupChart(results: Results): Chart | undefined {
  const rows = results.environment.topologies.flatMap((t) => [
    { topology: topologyLabel(results, t.name), phase: 'build', ms: round(t.buildMs) },
    ...(t.teardownMs !== null ? [{ topology: topologyLabel(results, t.name), phase: 'teardown', ms: round(t.teardownMs) }] : []),
  ]);
  if (rows.length === 0) return undefined;
  return {
    id: 'setup',
    title: 'Set-up and teardown time per topology (ms)',
    spec: {
      data: { values: rows },
      width: 480,
      height: 220,
      mark: 'bar',
      encoding: {
        x: { field: 'topology', type: 'nominal', sort: topologyScale(results).domain, axis: { labelAngle: -40 }, title: 'topology' },
        xOffset: { field: 'phase', type: 'nominal' },
        y: { field: 'ms', type: 'quantitative', title: 'time (ms)' },
        color: colour(results),
        opacity: { field: 'phase', type: 'ordinal', sort: ['build', 'teardown'], scale: { domain: ['build', 'teardown'], range: [1, 0.5] }, title: 'phase' },
        tooltip: [{ field: 'topology' }, { field: 'phase' }, { field: 'ms', title: 'time (ms)', format: ',.0f' }],
      },
    },
  };
}

function tracingCharts(results: Results): Chart[] {
  const t = results.tracing;
  const out: Chart[] = [];
  if (t?.cdf?.length) {
    out.push({
      id: 'stack-cdf',
      title: `Per-packet one-way stack latency, CDF (${observerName(t)}, sending container interface to receiving interface)`,
      spec: {
        data: { values: t.cdf.map((r) => ({ ...r, topology: topologyLabel(results, r.topology), cell: cell(r.workload, r.path) })) },
        facet: { field: 'cell', type: 'nominal', title: 'workload · path' },
        columns: 2,
        spec: {
          width: 340,
          height: 220,
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 'latencyUs', type: 'quantitative', title: 'stack latency (µs)', scale: { type: 'symlog' } },
            y: { field: 'fraction', type: 'quantitative', title: 'fraction of packets', axis: { format: '%' } },
            color: colour(results),
            tooltip: [{ field: 'topology' }, { field: 'latencyUs', title: 'latency (µs)', format: ',.3~f' }, { field: 'fraction', title: 'fraction ≤', format: '.1%' }],
          },
        },
      },
    });
  }
  return out;
}

export function buildCharts(results: Results): Chart[] {
  return [throughputChart(results), latencyChart(results), ratioChart(results), ...tracingCharts(results), ...pathDiagrams(results), cpuChart(results), setupChart(results)].filter((c): c is Chart => c !== undefined);
}
