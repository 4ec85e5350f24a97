/**
 * netperf omni output with `-o <selectors>`: a header line naming each selector, then a
 * line of values. Anything else on stdout (its "establish control" complaint) is an error.
 */
import { fail, type Parsed } from './types.js';

/** The selectors netbench asks for, in order, and the metric each becomes. */
export const NETPERF_SELECTORS = [
  ['TRANSACTION_RATE', 'tps'],
  ['P50_LATENCY', 'p50_us'],
  ['P90_LATENCY', 'p90_us'],
  ['P99_LATENCY', 'p99_us'],
  ['MEAN_LATENCY', 'mean_us'],
  ['STDDEV_LATENCY', 'stddev_us'],
  ['LOCAL_TRANSPORT_RETRANS', 'retransmits'],
  ['ELAPSED_TIME', 'seconds'],
] as const;

export const NETPERF_OUTPUT = NETPERF_SELECTORS.map(([s]) => s).join(',');

/** Split one CSV line (netperf quotes nothing, but be safe about quoted commas). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseNetperf(stdout: string): Parsed {
  const lines = stdout.split('\n').map((l) => l.trim());
  const h = lines.findIndex((l) => /^Transaction Rate/.test(l) || /Latency Microseconds/.test(l));
  if (h < 0 || !lines[h + 1]) {
    const text = lines.filter(Boolean).join(' ');
    return fail(`netperf: ${text ? text.slice(0, 300) : 'no output'}`);
  }
  const values = splitCsv(lines[h + 1]!);
  if (values.length < NETPERF_SELECTORS.length) return fail(`netperf: expected ${NETPERF_SELECTORS.length} values, got '${lines[h + 1]}'`);
  const out: Record<string, number> = {};
  NETPERF_SELECTORS.forEach(([, metric], i) => {
    const v = Number(values[i]);
    out[metric] = Number.isFinite(v) ? v : NaN;
  });
  if (!(out['tps']! > 0)) return fail(`netperf: no transactions completed ('${lines[h + 1]}')`);
  return { ok: true, values: out, flags: [] };
}
