import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../../src/results/types.js';
import { resultsSchemaErrors } from '../../src/results/validate.js';
import { buildCharts, topologyScale } from '../../src/report/charts.js';
import { esc, renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { syntheticResults, trial } from '../support/synthetic.js';

const small = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'results', 'small-run.json'), 'utf8')) as Results;
const libs = { vega: '/*vega*/', vegaLite: '/*vl*/', vegaEmbed: '/*embed*/' };

describe('report', () => {
  it('the saved real run still matches the results schema', () => {
    expect(resultsSchemaErrors(small)).toEqual([]);
  });

  it('every chart has a title, axis titles and a tooltip', () => {
    const charts = buildCharts(small);
    expect(charts.map((c) => c.id)).toEqual(['throughput', 'latency', 'ratio', 'cpu', 'setup']);
    for (const c of charts) {
      const text = JSON.stringify(c.spec);
      expect(c.title.length).toBeGreaterThan(10);
      expect(text).toContain('"tooltip"');
      expect(text).toMatch(/"title":"[^"]*\(/); // an axis title with its unit in parentheses
    }
  });

  it('colours are fixed per topology, the same in every chart', () => {
    const s = topologyScale(small);
    expect(s.domain).toEqual(['host', 'nat', 'macvlan-passthru']);
    expect(s.range).toEqual(['#6b6b6b', '#e45756', '#1b6e3a']);
    // every colour encoding by topology, wherever it sits in a chart, uses the one fixed scale
    const colours: unknown[] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (typeof x === 'object' && x !== null) {
        for (const [k, v] of Object.entries(x)) {
          if (k === 'color' && typeof v === 'object' && v !== null && 'field' in v && v.field === 'topology') colours.push(v);
          walk(v);
        }
      }
    };
    for (const c of buildCharts(small)) walk(c.spec);
    expect(colours.length).toBeGreaterThanOrEqual(5);
    for (const c of colours) expect(c).toMatchObject({ scale: { domain: s.domain, range: s.range } });
  });

  it('the HTML is self-contained: libraries inline, results embedded, no remote URL', () => {
    const html = renderHtml(small, libs);
    expect(html).toContain('<script>/*vega*/</script>');
    expect(html).toContain('<script type="application/json" id="results-data">');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const embedded = html.slice(html.indexOf('id="results-data">') + 18, html.indexOf('</script>', html.indexOf('id="results-data">')));
    expect(JSON.parse(embedded).runId).toBe(small.runId);
    for (const section of ['Verdict: is macvlan faster?', 'Ratios to host', 'Reachability of each topology', 'Caveats', 'Environment', 'Set-up and teardown']) expect(html).toContain(section);
    expect(html.indexOf('Verdict')).toBeLessThan(html.indexOf('Charts'));
    expect(html).toContain('macvlan passthru: the child owns the uplink');
  });

  it('escapes what it embeds', () => {
    expect(esc('<b>&"\'')).toBe('&lt;b&gt;&amp;&quot;&#39;');
    const evil = { ...small, caveats: ['</script><script>alert(1)</script>'] };
    const html = renderHtml(evil, libs);
    expect(html).not.toContain('<script>alert(1)</script>');
  });

  it('Markdown carries the verdict table and the ratio table', () => {
    const trials = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((b) => [trial('host', b, 1000 + b), trial('bridge', b, 800 + b), trial('macvlan-bridge', b, 950 - b)]);
    const base = syntheticResults(trials);
    const md = renderMarkdown({ ...base, config: { ...base.config, topologies: ['host', 'bridge', 'macvlan-bridge'] } });
    expect(md).toContain('🟢 | macvlan-bridge is');
    expect(md).toContain('faster than bridge on tcp-rr c1-peer');
    expect(md).toMatch(/\| macvlan-bridge \| tcp-rr \| c1-peer \| 9\d\d transactions\/s \| 0\.9\d/);
  });
});

describe('hop names in plain language', () => {
  it('the legend explains every role and event the hops use, and nothing else', async () => {
    const { legendFor } = await import('../../src/report/roles.js');
    expect(legendFor(['c1 tx → c1h rx-queue', 'c1h rx → dbr rx', 'dbr rx → up tx'])).toEqual([
      { term: 'c1', meaning: "container c1's own interface (a veth end, or a macvlan child)" },
      { term: 'tx', meaning: 'handed to the device to transmit' },
      { term: 'c1h', meaning: "host end of c1's veth pair, in hostA" },
      { term: 'rx-queue', meaning: 'queued for receive on the device (veth, backlog)' },
      { term: 'rx', meaning: 'received and processed by the device' },
      { term: 'dbr', meaning: "Linux bridge in hostA: nat's private bridge (like Docker's docker0), or the bridge topology's LAN bridge" },
      { term: 'up', meaning: "hostA's uplink to the LAN" },
    ]);
  });
  it('a traced run\'s report carries the legend under the per-packet table', () => {
    const cell = { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' } as const;
    const hop = { hop: 'c1 tx → c1h rx-queue', order: 0, onPath: true, packets: 10, p50Us: 1.5, p99Us: 4.5, meanUs: 1.6, shareUs: 1.6 };
    const tracing = { program: 'p.bt', available: true, reason: null, cells: [{ ...cell, tracedTrials: 1, errors: [], sample: 1, packets: 10, p50Us: 12.5, p90Us: 14.5, p99Us: 20.5, meanUs: 13, hops: [hop], hopMeanSumUs: 13, drops: [], overhead: null }], cdf: [], hops: [], overhead: [] };
    const html = renderHtml({ ...small, tracing }, libs);
    expect(html).toContain('What the names in the hops mean');
    expect(html).toContain('<code>c1h</code></td><td>host end of c1&#39;s veth pair, in hostA');
  });

  it("a real-host run's report gives the peer's step in a table of its own, each machine on its own clock", () => {
    const peerCell = { topology: 'bridge', workload: 'tcp-stream', path: 'c1-peer', direction: 'in', step: "peer eth1 rx → application (first copy to the socket's reader)", tracedTrials: 2, errors: [], sample: 8, packets: 4021, p50Us: 15.5, p90Us: 33.5, p99Us: 61.5, meanUs: 18.2, drops: [{ dev: 'peer eth1', reason: 41, count: 3 }] } as const;
    const base = { program: 'p.bt', available: true, reason: null, cells: [], cdf: [], hops: [], overhead: [] };
    const html = renderHtml({ ...small, tracing: { ...base, peer: { program: 'bench/trace/peer-half.bt', available: true, reason: null, cells: [peerCell] } } }, libs);
    expect(html).toContain('<h3>On the peer machine (its own sampler, bench/trace/peer-half.bt)</h3>');
    expect(html).toContain('<td>bridge</td><td>tcp-stream</td><td>c1-peer</td><td>peer eth1 rx → application (first copy to the socket&#39;s reader)</td><td class="num">4021 (1 in 8)</td><td class="num">15.5</td><td class="num">33.5</td><td class="num">61.5</td>');
    expect(html).toContain('<td>reason 41: 3</td>');
    const none = renderHtml({ ...small, tracing: { ...base, peer: { program: 'q', available: false, reason: 'bpftrace is not installed on the peer', cells: [] } } }, libs);
    expect(none).toContain('<h3>On the peer machine</h3><p class="note">Not traced: bpftrace is not installed on the peer.</p>');
  });

  it('the overhead table gives each cell its ratio, interval and what that makes of its per-packet figures', () => {
    const cell = { topology: 'bridge', workload: 'tcp-rr', path: 'c1-peer' } as const;
    const overhead = { ...cell, metric: 'tps', pairs: 5, tracedMedian: 9000, untracedMedian: 10000, ratio: 0.9, ratioLow: 0.86, ratioHigh: 0.94, level: 0.95, kind: 'slower' as const };
    const within = { ...overhead, topology: 'nat', ratio: 1.01, ratioLow: 0.99, ratioHigh: 1.03, kind: 'within' as const };
    const tracing = { program: 'p.bt', available: true, reason: null, cells: [], cdf: [], hops: [], overhead: [overhead, within] };
    const html = renderHtml({ ...small, tracing }, libs);
    expect(html).toContain('<td class="num">0.9</td><td class="num">[0.86, 0.94]</td><td>tracing slowed the traffic: per-packet figures are upper bounds</td>');
    expect(html).toContain('<td>tracing changed the traffic by less than 5%: per-packet figures are measurements</td>');
  });
});
