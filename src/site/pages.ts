/**
 * The published site's own pages: the index of runs, a trend page per topology, and the
 * comparison page. Pure functions of the site's runs (oldest first); every text from a
 * results file is escaped, and the pages' scripts build the DOM with textContent. The
 * chart libraries are linked from the site's lib/ directory, written once per site.
 */
import { CSS, esc, libraryTags, scriptJson } from '../report/html.js';
import type { GateMark, SiteEntry } from './model.js';

/** A run as the pages show it: its entry, the gate against the run before it, what changed since. */
export interface SiteRun extends SiteEntry {
  readonly gate: GateMark | null;
  readonly changes: readonly string[];
}

export const trendFile = (topology: string) => `trends/${encodeURIComponent(topology)}.html`;
export const reportFile = (runId: string) => `runs/${encodeURIComponent(runId)}/report.html`;

const SITE_CSS = `${CSS}
nav a{margin-right:14px}tr.regression td:first-child{background:#f6c4c4}tr.undecided td:first-child{background:#f8e3b0}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:' ↕';color:#999}input#filter{width:320px;padding:3px}.small{font-size:12px;color:#555}`;

function page(title: string, root: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${SITE_CSS}</style>${head}
</head><body>
<nav><a href="${root}index.html">All runs</a><a href="${root}compare.html">Compare two runs</a></nav>
${body}
</body></html>
`;
}

/** The index's words for the gate against the run before, and the order the column sorts in. */
const GATE_TEXT: Record<GateMark['verdict'], { rank: number; text: (g: GateMark) => string }> = {
  'not comparable': { rank: 1, text: () => 'not comparable' },
  ok: { rank: 0, text: () => 'no regression' },
  undecided: { rank: 2, text: (g) => `${g.undecided} undecided` },
  regression: { rank: 3, text: (g) => `${g.regressions} regression(s)` },
  'broken run': { rank: 4, text: () => 'broken run' },
};

function gateCell(r: SiteRun): string {
  if (!r.gate) return '<td data-sort="0">first run</td>';
  const g = r.gate;
  const href = `compare.html#${encodeURIComponent(g.against)}..${encodeURIComponent(r.runId)}`;
  return `<td data-sort="${GATE_TEXT[g.verdict].rank}" title="${esc(g.summary)}"><a href="${esc(href)}">${esc(GATE_TEXT[g.verdict].text(g))}</a></td>`;
}

function indexRow(r: SiteRun): string {
  const kind = r.gate?.verdict === 'regression' || r.gate?.verdict === 'broken run' ? 'regression' : r.gate?.verdict === 'undecided' ? 'undecided' : '';
  const status = [r.status, r.traced ? 'traced' : 'untraced', ...(r.realHosts ? ['real hosts'] : [])].join(', ');
  return `<tr class="${kind}" data-run="${esc(r.runId)}"><td data-sort="${esc(r.startedAt)}">${esc(r.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''))}</td><td><a href="${esc(reportFile(r.runId))}">${esc(r.runId)}</a></td><td>${esc(r.profile)}</td><td>${esc(r.fingerprint.kernel)}</td><td>${esc(r.host || r.fingerprint.cpu)}</td><td>${esc(r.topologies.join(' '))}</td><td>${esc(status)}</td>${gateCell(r)}<td class="changes">${esc(r.changes.join('; ') || '-')}</td><td>${esc(r.claim)}</td></tr>`;
}

const INDEX_SCRIPT = `(function () {
  var table = document.getElementById('runs'), body = table.tBodies[0];
  var filter = document.getElementById('filter'), shown = document.getElementById('shown');
  function key(row, i) { var c = row.cells[i]; return c.getAttribute('data-sort') || c.textContent; }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.classList.add('sortable');
    th.addEventListener('click', function () {
      var dir = th.getAttribute('data-dir') === 'asc' ? -1 : 1;
      th.setAttribute('data-dir', dir > 0 ? 'asc' : 'desc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) { var x = key(a, i), y = key(b, i); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  function apply() {
    var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean), n = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      var text = r.textContent.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
      r.hidden = !ok; if (ok) n++;
    });
    shown.textContent = n + ' of ' + body.rows.length + ' runs';
  }
  filter.addEventListener('input', apply);
  apply();
})();`;

export function renderIndex(runs: readonly SiteRun[]): string {
  const newest = [...runs].reverse();
  const topologies = [...new Set(runs.flatMap((r) => r.topologies))].filter((t) => t !== 'host');
  const trends = topologies.map((t) => `<a href="${esc(trendFile(t))}">${esc(t)}</a>`).join(' ');
  const body = `<h1>netbench: published runs</h1>
<p>${runs.length} run(s), newest first. Each run links to its own report; the gate column compares a run with the one published before it, as <code>bench gate</code> does, and the changes column names what changed in the environment since then.</p>
<p>Trends of the ratio to host, per topology: ${trends || 'none'}</p>
<p><input id="filter" type="search" placeholder="filter: words all rows must contain (e.g. regression 6.18)" aria-label="filter runs"> <span id="shown" class="small"></span></p>
<table id="runs"><thead><tr><th>started (UTC)</th><th>run</th><th>profile</th><th>kernel</th><th>machine</th><th>topologies</th><th>status</th><th>gate vs previous</th><th>environment changes</th><th>verdict</th></tr></thead>
<tbody>${newest.map(indexRow).join('\n')}</tbody></table>
<script>${INDEX_SCRIPT}</script>`;
  return page('netbench runs', '', body);
}

/** The trend charts of one topology: per workload, the ratio to host over time, per path, with its interval. */
export function trendSpecs(topology: string, runs: readonly SiteRun[]): { id: string; title: string; spec: object }[] {
  const values = runs.flatMap((r) =>
    r.points
      .filter((p) => p.topology === topology)
      .map((p) => ({ run: r.runId, date: r.startedAt, workload: p.workload, path: p.path, metric: p.metric, ratio: p.ratio, low: p.low, high: p.high, gate: !r.gate ? 'first run' : (r.gate.cells[`${p.topology} ${p.workload} ${p.path} ${p.metric}`] ?? (r.gate.verdict === 'broken run' || r.gate.verdict === 'not comparable' ? r.gate.verdict : 'ok')) })),
  );
  const changes = runs.flatMap((r) => (r.changes.length ? [{ date: r.startedAt, change: r.changes.join('; ') }] : []));
  const workloads = [...new Set(values.map((v) => `${v.workload}\u0000${v.metric}`))];
  return workloads.map((wm, i) => {
    const [workload, metric] = wm.split('\u0000') as [string, string];
    const mine = values.filter((v) => v.workload === workload && v.metric === metric);
    const x = { field: 'date', type: 'temporal', title: 'run started' };
    const layers: object[] = [
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 1 } } },
      { data: { values: mine }, mark: { type: 'rule' }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { field: 'path', type: 'nominal' } } },
      { data: { values: mine }, mark: { type: 'line', point: false }, encoding: { x, y: { field: 'ratio', type: 'quantitative', title: `${metric} ÷ host`, scale: { zero: false } }, color: { field: 'path', type: 'nominal' } } },
      {
        data: { values: mine },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x,
          y: { field: 'ratio', type: 'quantitative' },
          color: { field: 'path', type: 'nominal' },
          shape: { field: 'gate', type: 'nominal', title: 'gate vs previous run', scale: { domain: ['first run', 'ok', 'not comparable', 'undecided', 'regression', 'broken run'], range: ['circle', 'circle', 'square', 'diamond', 'triangle-down', 'cross'] } },
          tooltip: [{ field: 'run' }, { field: 'path' }, { field: 'ratio', format: '.3f' }, { field: 'low', format: '.3f' }, { field: 'high', format: '.3f' }, { field: 'gate' }],
        },
      },
      ...(changes.length ? [{ data: { values: changes }, mark: { type: 'rule', color: '#b35900', strokeWidth: 1.5, opacity: 0.6 }, encoding: { x, tooltip: [{ field: 'change', title: 'environment change' }] } }] : []),
    ];
    return { id: `trend-${i}`, title: `${topology} ${workload}: ${metric} as a ratio to host`, spec: { width: 720, height: 220, layer: layers } };
  });
}

const CHART_SCRIPT = `(function () {
  var state = (window.__netbench = { expected: 0, rendered: 0, errors: [] });
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  state.expected = specs.length;
  specs.forEach(function (c) {
    vegaEmbed('#' + c.id, c.spec, { mode: 'vega-lite', renderer: 'svg', actions: false })
      .then(function () { state.rendered++; })
      .catch(function (e) { state.errors.push(c.id + ': ' + e); console.error(e); });
  });
})();`;

export function renderTrend(topology: string, runs: readonly SiteRun[]): string {
  const specs = trendSpecs(topology, runs);
  const changes = runs.filter((r) => r.changes.length);
  const body = `<h1>Trend: ${esc(topology)}</h1>
<p>Each point is one run's ratio to host (median of the per-block ratios, with its interval as a vertical bar), per traffic path. The dashed line is host itself. A point's shape is the gate's verdict against the run before it: a triangle is a regression, a diamond a change the noise could not rule in or out, a square a run that set out to measure other things than the one before (topologies, workloads, paths, trial length). An orange vertical line marks a run whose environment changed (kernel, CPU, tool versions, OVS datapath); hover it for what changed.</p>
${specs.map((s) => `<h3>${esc(s.title)}</h3><div class="chart" id="${esc(s.id)}"></div>`).join('\n') || '<p>No run measured this topology beside host.</p>'}
${changes.length ? `<h2>Environment changes</h2><ul>${changes.map((r) => `<li>${esc(r.startedAt)} <a href="../${esc(reportFile(r.runId))}">${esc(r.runId)}</a>: ${esc(r.changes.join('; '))}</li>`).join('')}</ul>` : ''}
<script type="application/json" id="chart-specs">${scriptJson(specs.map((s) => ({ id: s.id, spec: s.spec })))}</script>
<script>${CHART_SCRIPT}</script>`;
  return page(`netbench trend: ${topology}`, '../', body, `\n${libraryTags({ linkedFrom: '../lib' })}`);
}

export const compareFile = (runId: string) => `data/compare/${encodeURIComponent(runId)}.js`;

/** The comparison data of a run: the gate against every run published before it, as a script that hands it to the page. */
export function compareScript(current: string, byBaseline: Readonly<Record<string, unknown>>): string {
  return `netbenchCompare(${scriptJson(current)}, ${scriptJson(byBaseline)});\n`;
}

const COMPARE_SCRIPT = `(function () {
  var runs = JSON.parse(document.getElementById('runs-data').textContent);
  var order = {}; runs.forEach(function (r, i) { order[r.runId] = i; });
  var base = document.getElementById('baseline'), cur = document.getElementById('current');
  var out = document.getElementById('result'), loaded = {};
  var state = (window.__netbench = { expected: 0, rendered: 0, errors: [], shown: null });
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function pct(x) { return x === null ? '-' : (x >= 0 ? '+' : '−') + Math.abs(x * 100).toFixed(1) + '%'; }
  function show(a, b, c) {
    out.textContent = '';
    if (!c) { out.appendChild(el('p', 'No comparison of ' + a + ' with ' + b + ' is in the site: they are ' + Math.abs(order[b] - order[a]) + ' runs apart, more than the ' + document.getElementById('window').textContent + ' it keeps.')); return; }
    out.appendChild(el('p', 'Baseline ' + c.baseline + ', current ' + c.current + ' (' + (c.mode === 'relative' ? 'ratios to host' : 'absolute figures') + '): ' + c.summary, 'claim'));
    c.problems.forEach(function (p) { out.appendChild(el('p', 'FAIL: ' + p, 'caveat')); });
    c.warnings.forEach(function (w) { out.appendChild(el('p', 'The gate would refuse this pair without --force: ' + w, 'caveat')); });
    var t = el('table'), head = el('tr');
    ['cell', 'metric', 'unit', 'baseline', 'current', 'change [interval]', 'p (Holm)', 'verdict', 'why'].forEach(function (h) { head.appendChild(el('th', h)); });
    t.appendChild(el('thead')).appendChild(head);
    var body = t.appendChild(el('tbody'));
    c.rows.forEach(function (r) {
      var tr = el('tr', undefined, r[9] === 'regression' ? 'regression' : r[9] === 'undecided' ? 'undecided' : '');
      [r[0], r[1], r[2], r[3] === null ? '-' : String(r[3]), r[4] === null ? '-' : String(r[4]), pct(r[5]) + ' [' + pct(r[6]) + ', ' + pct(r[7]) + ']', r[8] === null ? '-' : String(r[8]), r[9], r[10]].forEach(function (v) { tr.appendChild(el('td', v)); });
      body.appendChild(tr);
    });
    out.appendChild(t);
    state.shown = c.baseline + '..' + c.current;
  }
  window.netbenchCompare = function (current, data) { loaded[current] = data; update(); };
  function update() {
    var a = base.value, b = cur.value;
    if (!a || !b) return;
    if (a === b) { out.textContent = 'Pick two different runs.'; return; }
    var swapped = order[a] > order[b];
    var earlier = swapped ? b : a, later = swapped ? a : b;
    if (swapped) { base.value = earlier; cur.value = later; }
    location.hash = encodeURIComponent(earlier) + '..' + encodeURIComponent(later);
    if (loaded[later]) return show(earlier, later, loaded[later][earlier]);
    var s = document.createElement('script');
    s.src = 'data/compare/' + encodeURIComponent(later) + '.js';
    s.onerror = function () { out.textContent = 'The comparison data of ' + later + ' is missing from the site.'; state.errors.push('missing ' + s.src); };
    document.body.appendChild(s);
  }
  base.addEventListener('change', update); cur.addEventListener('change', update);
  var m = /^#(.+)\\.\\.(.+)$/.exec(location.hash);
  if (m) { base.value = decodeURIComponent(m[1]); cur.value = decodeURIComponent(m[2]); }
  else if (runs.length > 1) { base.value = runs[runs.length - 2].runId; cur.value = runs[runs.length - 1].runId; }
  update();
})();`;

export function renderCompare(runs: readonly SiteRun[], window: number): string {
  const options = [...runs]
    .reverse()
    .map((r) => `<option value="${esc(r.runId)}">${esc(`${r.runId} (${r.profile}, ${r.fingerprint.kernel})`)}</option>`)
    .join('');
  const body = `<h1>Compare two runs</h1>
<p>The gate's table between two published runs, as <code>bench gate</code> computes it with the earlier run as the baseline: per metric, the change in its good direction with its interval, the p-value after Holm's correction, and the verdict. It was computed when the runs were published, for runs up to <span id="window">${esc(window)}</span> apart in time order; runs further apart are compared with <code>bench gate --baseline &lt;run&gt; --current &lt;run&gt;</code>.</p>
<p><label>baseline <select id="baseline">${options}</select></label> <label>current <select id="current">${options}</select></label></p>
<div id="result"></div>
<script type="application/json" id="runs-data">${scriptJson(runs.map((r) => ({ runId: r.runId })))}</script>
<script>${COMPARE_SCRIPT}</script>`;
  return page('netbench: compare two runs', '', body);
}
