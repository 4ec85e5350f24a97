/**
 * The self-contained HTML report: vega, vega-lite and vega-embed inlined, results
 * embedded as JSON (and downloadable; a published site's report links its results file
 * instead), every chart rendered client-side. A pure function
 * of the results and the library sources.
 */
import { observerName } from '../results/tracing.js';
import { machineLines } from './machines.js';
import { legendFor } from './roles.js';
import { busySummary } from '../results/interference.js';
import { describeIdle } from '../results/idle.js';
import { describeNoise } from '../results/noise.js';
import { failedTrials } from '../results/cell.js';
import { isMeasured, overheadMeaning } from '../results/overhead.js';
import type { ReachabilityResult, Results, TopologyEnv, TracingSummary } from '../results/types.js';
import { fmtNum, fmtPct } from '../util/format.js';
import { buildCharts, topologyScale } from './charts.js';
import { isPrimary } from './select.js';
import { claimSummary, compareAll, type Comparison, type Comparisons } from './verdicts.js';
import { datapathSentence, sameDatapath } from '../results/datapath.js';

/** The chart libraries: their sources, inlined (a self-contained report), or the directory a published site keeps them in. */
export type Libraries = { readonly vega: string; readonly vegaLite: string; readonly vegaEmbed: string } | { readonly linkedFrom: string };

/** The files a site's shared library directory holds, by library. */
export const LIBRARY_FILES = { vega: 'vega.min.js', vegaLite: 'vega-lite.min.js', vegaEmbed: 'vega-embed.min.js' } as const;

export function libraryTags(libs: Libraries): string {
  if ('linkedFrom' in libs) return Object.values(LIBRARY_FILES).map((f) => `<script src="${esc(`${libs.linkedFrom}/${f}`)}"></script>`).join('\n');
  return `<script>${libs.vega}</script>\n<script>${libs.vegaLite}</script>\n<script>${libs.vegaEmbed}</script>`;
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CLASS: Record<string, string> = { better: 'good', worse: 'bad', same: 'neutral', inconclusive: 'neutral' };

const fmtE = (e: number) => (!Number.isFinite(e) ? (e > 0 ? '∞' : '-') : e >= 1e4 ? e.toExponential(1) : e.toPrecision(2));

function verdictTable(cmp: Comparisons): string {
  const rows: readonly Comparison[] = cmp.rows;
  if (rows.length === 0) return '<p>No comparison: no topology was measured beside its baseline on a common workload and path.</p>';
  const body = rows
    .map(
      (r) =>
        `<tr class="${esc(CLASS[r.verdict.kind] ?? '')}"><td>${esc(r.verdict.kind === 'same' ? 'no difference' : r.verdict.kind)}</td><td>${esc(r.sentence)}</td><td class="num">±${esc(Math.round(r.verdict.margin * 100))}%</td><td class="num">${esc(fmtE(r.verdict.e))}</td><td class="num">${esc(r.verdict.n)}</td></tr>`,
    )
    .join('\n');
  return `<table class="verdicts"><thead><tr><th>verdict</th><th>comparison (effect [interval])</th><th>margin</th><th>e-value</th><th>pairs</th></tr></thead><tbody>${body}</tbody></table><p class="note">${esc(cmp.correction)}.</p>`;
}

function reachabilityTable(t: TopologyEnv, r: ReachabilityResult): string {
  const rows = r.cells.map((c) => `<tr class="${c.ok ? '' : 'bad'}"><td>${esc(c.id)}</td><td>${esc(c.expected)}</td><td>${esc(c.observed)}</td><td>${c.ok ? 'ok' : 'MISMATCH'}</td><td>${esc(c.detail)}</td></tr>`).join('');
  const verdict = r.ok ? 'matches the expected matrix (docs/methodology.md)' : 'DOES NOT MATCH the expected matrix (docs/methodology.md)';
  return `<details${r.ok ? '' : ' open'}><summary>${esc(t.name)}: ${verdict}</summary><table><thead><tr><th>path</th><th>expected</th><th>observed</th><th></th><th>evidence</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

function reachabilityTables(results: Results): string {
  return results.environment.topologies.map((t) => (t.reachability ? reachabilityTable(t, t.reachability) : '')).join('\n');
}

function environment(results: Results): string {
  const e = results.environment;
  const tools = Object.entries(e.tools).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v ?? 'not installed')}</td></tr>`).join('');
  const topo = e.topologies
    .map((t) => {
      const offl = t.interfaces.map((i) => `<tr><td>${esc(i.netns)}</td><td>${esc(i.name)}</td><td>${esc(i.role)}</td><td>${esc(Object.entries(i.offloads).map(([k, v]) => `${k}=${v}`).join(' '))}</td></tr>`).join('');
      return `<tr><td>${esc(t.name)}</td><td>${esc(t.driver)}${t.mode ? ` ${esc(t.mode)}` : ''} <small>(${esc(t.builder ?? 'iproute2')})</small></td><td>${esc(t.datapath ?? '-')}</td><td>${t.hairpin ? 'on' : 'off'}</td><td>${esc(t.ipForward ?? '-')}</td><td>${esc(t.bridgeNfCallIptables ?? '-')}</td><td><details><summary>${esc(t.interfaces.length)} interfaces</summary><table>${offl}</table></details></td></tr>`;
    })
    .join('');
  return `<table><tbody>
<tr><td>kernel</td><td>${esc(e.kernel)}</td></tr><tr><td>CPU</td><td>${esc(e.cpuModel)} × ${esc(e.cpuCount)}</td></tr><tr><td>node</td><td>${esc(e.node)}</td></tr>
<tr><td>CPU pinning</td><td>${e.cpuPinning ? `client CPU ${esc(e.cpuPinning.client)}, server CPU ${esc(e.cpuPinning.server)}` : 'none (fewer than 2 CPUs)'}</td></tr>
<tr><td>tracing</td><td>${e.tracing.enabled ? (e.tracing.available ? 'on' : `unavailable: ${esc(e.tracing.reason)}`) : `off${e.tracing.reason ? ` (${esc(e.tracing.reason)})` : ''}`}</td></tr>
</tbody></table>
<h3>Tools</h3><table><tbody>${tools}</tbody></table>
<h3>Topologies</h3><table><thead><tr><th>topology</th><th>driver</th><th>OVS datapath</th><th>switch hairpin</th><th>ip_forward (hostA)</th><th>bridge-nf-call-iptables (hostA)</th><th>offloads</th></tr></thead><tbody>${topo}</tbody></table>`;
}

function machinesSection(results: Results): string {
  const m = machineLines(results);
  const real = results.environment.realHosts;
  if (!m || !real) return '';
  const nics = real.nics
    .map((n) => `<tr><td>${esc(n.machine)}</td><td>${esc(n.name)}</td><td>${esc(n.driver)}</td><td>${esc(n.firmware || '-')}</td><td class="num">${n.speedMbps !== null ? esc(n.speedMbps) : '?'}</td><td>${esc(`rx ${n.queues.rx ?? '-'}, tx ${n.queues.tx ?? '-'}, combined ${n.queues.combined ?? '-'}`)}</td><td>${esc(Object.entries(n.offloads).map(([k, v]) => `${k}=${v}`).join(' '))}</td></tr>`)
    .join('');
  return `<h2>Machines and line rate</h2>
<p>${esc(m.machines)}</p>
<p class="claim">${esc(m.limit)}</p>
<table><thead><tr><th>machine</th><th>NIC</th><th>driver</th><th>firmware</th><th>Mb/s</th><th>queues</th><th>offloads</th></tr></thead><tbody>${nics}</tbody></table>
${m.tracing ? `<p>${esc(m.tracing)}</p>` : ''}`;
}

function ratioTable(results: Results): string {
  const rows = results.summary.filter((s) => s.ratioToHost && isPrimary(s));
  if (rows.length === 0) return '';
  return `<table><thead><tr><th>topology</th><th>workload</th><th>path</th><th>median</th><th>× host [CI]</th><th>CoV</th></tr></thead><tbody>${rows
    .map((s) => `<tr><td>${esc(s.topology)}</td><td>${esc(s.workload)}</td><td>${esc(s.path)}</td><td class="num">${esc(fmtNum(s.median))} ${esc(s.unit)}</td><td class="num">${esc(fmtNum(s.ratioToHost!.median))} [${esc(fmtNum(s.ratioToHost!.ciLow))}, ${esc(fmtNum(s.ratioToHost!.ciHigh))}]</td><td class="num">${esc(fmtPct(s.cov))}</td></tr>`)
    .join('')}</tbody></table>`;
}

function stackLatencyTable(t: TracingSummary): string {
  if (!t.cells.length) return '';
  const rows = t.cells
    .map(
      (c) =>
        `<tr><td>${esc(c.topology)}</td><td>${esc(c.workload)}</td><td>${esc(c.path)}</td><td class="num">${esc(c.packets)}${c.sample > 1 ? ` (1 in ${esc(c.sample)})` : ''}</td><td class="num">${esc(fmtNum(c.p50Us))}</td><td class="num">${esc(fmtNum(c.p90Us))}</td><td class="num">${esc(fmtNum(c.p99Us))}</td><td class="num">${esc(fmtNum(c.meanUs))}</td><td class="num">${esc(fmtNum(c.hopMeanSumUs))}</td><td>${esc(c.hops.map((h) => `${h.hop}: ${fmtNum(h.shareUs)}`).join('; '))}</td><td>${esc(c.drops.map((d) => `${d.dev} reason ${d.reason}: ${d.count}`).join('; ') || '-')}</td><td>${isMeasured(c.overhead) ? 'measurements' : 'upper bounds'}</td></tr>`,
    )
    .join('');
  return `<h3>Per-packet stack latency (${esc(observerName(t))})</h3><table><thead><tr><th>topology</th><th>workload</th><th>path</th><th>packets followed</th><th>P50 µs</th><th>P90 µs</th><th>P99 µs</th><th>mean µs</th><th>sum of hop shares µs</th><th>hops (on the path)</th><th>drops</th><th>per-packet figures</th></tr></thead><tbody>${rows}</tbody></table>${hopLegend(t)}`;
}

/** A real-host run's peer machine: its one step at its test NIC, per cell, on its own clock. */
function peerLatencyTable(t: TracingSummary): string {
  const p = t.peer;
  if (!p) return '';
  if (!p.cells.length) return p.available ? '' : `<h3>On the peer machine</h3><p class="note">Not traced: ${esc(p.reason)}.</p>`;
  const rows = p.cells
    .map(
      (c) =>
        `<tr><td>${esc(c.topology)}</td><td>${esc(c.workload)}</td><td>${esc(c.path)}</td><td>${esc(c.step)}</td><td class="num">${esc(c.packets)}${c.sample > 1 ? ` (1 in ${esc(c.sample)})` : ''}</td><td class="num">${esc(fmtNum(c.p50Us))}</td><td class="num">${esc(fmtNum(c.p90Us))}</td><td class="num">${esc(fmtNum(c.p99Us))}</td><td class="num">${esc(fmtNum(c.meanUs))}</td><td>${esc(c.drops.map((d) => `reason ${d.reason}: ${d.count}`).join('; ') || '-')}</td><td>${esc(c.errors[0] ?? '')}</td></tr>`,
    )
    .join('');
  return `<h3>On the peer machine (its own sampler, ${esc(p.program)})</h3><p class="note">The peer's part of each journey is one step at its test NIC, timed on the peer's clock. It is not added to this machine's figures: the two clocks are not shown to be synchronised, so no time across the wire is claimed.</p><table><thead><tr><th>topology</th><th>workload</th><th>path</th><th>step</th><th>packets followed</th><th>P50 µs</th><th>P90 µs</th><th>P99 µs</th><th>mean µs</th><th>drops</th><th>not traced because</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** What the role and event names in the hop labels mean. */
function hopLegend(t: TracingSummary): string {
  const legend = legendFor(t.cells.flatMap((c) => c.hops.map((h) => h.hop)));
  if (!legend.length) return '';
  return `<details open class="legend"><summary>What the names in the hops mean</summary><table><tbody>${legend.map((l) => `<tr><td><code>${esc(l.term)}</code></td><td>${esc(l.meaning)}</td></tr>`).join('')}</tbody></table></details>`;
}

function overheadTable(t: TracingSummary): string {
  if (!t.overhead.length) return '';
  const rows = t.overhead
    .map((o) => {
      const iv = o.ratioLow !== null && o.ratioHigh !== null ? `[${fmtNum(o.ratioLow)}, ${fmtNum(o.ratioHigh)}]` : '-';
      return `<tr class="${isMeasured(o) ? '' : 'bad'}"><td>${esc(o.topology)}</td><td>${esc(o.workload)}</td><td>${esc(o.path)}</td><td>${esc(o.metric)}</td><td class="num">${esc(o.pairs)}</td><td class="num">${esc(fmtNum(o.ratio))}</td><td class="num">${esc(iv)}</td><td>${esc(overheadMeaning(o, false))}</td></tr>`;
    })
    .join('');
  return `<h3>Tracing overhead (traced / untraced, paired by block)</h3><p class="note">Each traced trial ran in the same block as an untraced trial of its cell, seconds apart; the ratio is the traced cell's performance over the untraced one's (below 1: slower when traced), with its 95% interval. Per-packet figures are measurements where the interval lies within 1 ± 5%, or where the interval leaves the effect unresolved and the compiled observer's own time, measured in the kernel, is within 5% of the traffic's (the next table); upper bounds elsewhere (docs/methodology.md, "Tracing and its overhead").</p><table><thead><tr><th>topology</th><th>workload</th><th>path</th><th>metric</th><th>pairs</th><th>traced/untraced</th><th>95% interval</th><th>per-packet figures</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The compiled observer's own cost per traced cell, measured in the kernel. */
function observerCostTable(t: TracingSummary): string {
  const cells = t.cells.filter((c) => c.observer);
  if (!cells.length) return '';
  const rows = cells
    .map((c) => {
      const o = c.observer!;
      return `<tr><td>${esc(c.topology)}</td><td>${esc(c.workload)}</td><td>${esc(c.path)}</td><td class="num">${esc(o.events)}</td><td class="num">${esc(fmtNum(o.eventsPerPacket))}</td><td class="num">${esc(fmtNum(o.nsPerEvent))}</td><td class="num">${esc(fmtNum(o.statsNsPerEvent))}</td><td class="num">${esc(fmtNum(o.netNsPerEvent))}</td><td class="num">${esc(fmtNum(o.attachNsPerEvent ?? null))}</td><td class="num">${esc(fmtPct(o.cpuShare))}</td><td class="num">${esc(fmtPct(o.trafficShare ?? null))}</td><td>${esc(o.programs.map((p) => `${p.name}: ${p.events} × ${fmtNum(p.nsPerEvent)} ns`).join('; '))}</td></tr>`;
    })
    .join('');
  return `<h3>The observer's own cost (the kernel's statistics)</h3><p class="note">Events are tracepoint hits, followed packet or not, as the programs counted them; events per packet divide them by the packets delivered end to end (followed packets × the sample). The time per event is the kernel's own (its BPF run-time statistics, which the loader turns on for 20 ms in every 200 ms: a sample of a tenth of the events). Those statistics read the kernel clock twice per event they time: that cost, measured at start, is stated and taken off in the net figure. The kernel times only the program's own run: reaching it from the tracepoint (the dispatch) is measured by the loader at start, with a program that does nothing, and added. The observer's time is every event at its net cost and its dispatch, plus the statistics on the timed ones; its share of CPU is over the traced trials' busy CPU time, and its share of the traffic over their traffic time (trials × duration): were all of it on the traffic's critical path, the traffic would be that much slower. Within 5%, it makes a cell's per-packet figures measurements when the traffic comparison leaves the effect unresolved (docs/methodology.md, "Tracing").</p><table><thead><tr><th>topology</th><th>workload</th><th>path</th><th>events</th><th>events per packet</th><th>ns per event</th><th>of which statistics</th><th>ns per event, net</th><th>dispatch ns per event</th><th>share of CPU</th><th>share of the traffic</th><th>per program</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function tracingNote(results: Results): string {
  return results.tracing ? stackLatencyTable(results.tracing) + peerLatencyTable(results.tracing) + overheadTable(results.tracing) + observerCostTable(results.tracing) : '';
}

export const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}.num{text-align:right;font-variant-numeric:tabular-nums}
tr.good td:first-child{background:#c8efc8}tr.bad td:first-child{background:#f6c4c4}tr.neutral td:first-child{background:#e6e6e6}
.claim{font-size:16px;padding:10px;background:#f4f4f8;border-left:4px solid #4c78a8}.chart{margin:16px 0}.caveat{color:#8a4b00}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}`;

/** How a published site's report differs: links back to the site, and its results kept beside it instead of embedded. */
export interface SitePage {
  readonly nav: readonly { readonly href: string; readonly text: string }[];
  /** where the results file lies, relative to the report */
  readonly resultsHref: string;
}

export function renderHtml(results: Results, libs: Libraries, site?: SitePage): string {
  const charts = buildCharts(results);
  const cmp = compareAll(results);
  const claim = claimSummary(cmp.rows);
  const scale = topologyScale(results);
  const legend = scale.domain.map((d, i) => `<span><i style="background:${esc(scale.range[i])}"></i>${esc(d)}</span>`).join('');
  const busy = busySummary(results.trials, results.environment.cpuCount);
  const noise = describeNoise(results.environment.noise);
  const caveats = results.caveats.map((c) => `<li class="caveat">${esc(c)}</li>`).join('');
  const na = results.notApplicable.map((n) => `<li>${esc(n.topology)} ${esc(n.path)}: ${esc(n.reason)}</li>`).join('');
  const failed = failedTrials(results.trials);
  const chartDivs = charts.map((c) => `<h3>${esc(c.title)}</h3><div class="chart" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}"></div>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netbench ${esc(results.runId)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style>
${libraryTags(libs)}
</head><body>
${site ? `<nav>${site.nav.map((l) => `<a href="${esc(l.href)}">${esc(l.text)}</a>`).join(' ')}</nav>` : ''}
<h1>netbench run ${esc(results.runId)}${results.status === 'complete' ? '' : ` (${esc(results.status)})`}</h1>
${results.status === 'complete' ? '' : `<p class="claim caveat">This run is ${esc(results.status)}, not complete${results.statusReason ? `: ${esc(results.statusReason)}` : ''}. Its figures are partial.</p>`}
<p>Profile <b>${esc(results.profile)}</b>, seed ${esc(results.seed)}, ${esc(results.config.trials)} trials of ${esc(results.config.durationS)} s per cell, ${esc(results.config.warmup)} warm-up; status <b>${esc(results.status)}</b>${results.statusReason ? ` (${esc(results.statusReason)})` : ''}; ${esc(results.startedAt)} to ${esc(results.endedAt ?? '…')}. ${site ? `<a href="${esc(site.resultsHref)}" download>Download the results</a>` : '<button id="download">Download results.json</button>'}</p>
<p class="idle">${esc(describeIdle(results.environment.idle))}${busy.stealShare !== null ? `. Steal: the hypervisor took ${esc(fmtPct(busy.stealShare))} of the CPU time during the trials.` : ''}</p>${noise ? `\n<p class="noise">${esc(noise)}.</p>` : ''}
<p class="legend">${legend}</p>
<h2>Verdict: is macvlan faster?</h2>
<p class="claim">${esc(claim.text)}</p>
${claim.perAlternative.length ? `<ul class="alternatives">${claim.perAlternative.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}
${verdictTable(cmp)}
${sameDatapath(results).map((d) => `<p class="${d.same ? 'datapath' : 'datapath caveat'}">${esc(datapathSentence(d))}</p>`).join('\n')}
<p>Per-block log ratios (trials interleaved in a seeded random order), judged with anytime-valid confidence sequences so that the run could stop as soon as the answer was known; effect = the robust centre of the paired ratios (their Huber location; the geometric mean for runs judged with the mean estimator) with the interval the decision used. Green: better; red: worse; grey: within the metric's margin (±5% for rates, ±10% for P99 latency) or inconclusive.</p>
${machinesSection(results)}
<h2>Ratios to host</h2>
${ratioTable(results)}
<h2>Charts</h2>
${chartDivs}
${tracingNote(results)}
<h2>Reachability of each topology</h2>
${reachabilityTables(results)}
<h2>Caveats</h2>
<ul>${caveats || '<li>none</li>'}${na}${busy.text ? `<li class="caveat">${esc(busy.text)}</li>` : ''}${failed[0] ? `<li class="caveat">${esc(failed.length)} measured trial(s) failed, e.g. ${esc(failed[0].topology)} ${esc(failed[0].workload)} ${esc(failed[0].path)}: ${esc(failed[0].error)}</li>` : ''}</ul>
<h2>Environment</h2>
${environment(results)}
${site ? '' : `<script type="application/json" id="results-data">${scriptJson(results)}</script>`}
<script type="application/json" id="chart-specs">${scriptJson(charts.map((c) => ({ id: c.id, spec: c.spec })))}</script>
<script>
(function () {
  var state = (window.__netbench = { expected: 0, rendered: 0, errors: [] });
  var download = document.getElementById('download');
  if (download) download.addEventListener('click', function () {
    var blob = new Blob([document.getElementById('results-data').textContent], { type: 'application/json' });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'results.json';
    a.click();
  });
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  state.expected = specs.length;
  specs.forEach(function (c) {
    vegaEmbed('#chart-' + c.id, c.spec, { mode: 'vega-lite', renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
      .then(function () { state.rendered++; })
      .catch(function (e) { state.errors.push(c.id + ': ' + e); console.error(e); });
  });
})();
</script>
</body></html>
`;
}
