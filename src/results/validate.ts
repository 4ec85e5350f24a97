/** Check a results.json against schemas/results.schema.json: the one door results data comes in by. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { NetbenchError, errorMessage } from '../errors.js';
import { SCHEMA_DIR } from '../locations.js';
import { RESULTS_SCHEMA_VERSION, type Results } from './types.js';

let compiled: ValidateFunction<Results> | undefined;

function validator(): ValidateFunction<Results> {
  if (!compiled) {
    const schema: unknown = JSON.parse(readFileSync(join(SCHEMA_DIR, 'results.schema.json'), 'utf8'));
    if (typeof schema !== 'object' || schema === null) throw new NetbenchError('IO', 'schemas/results.schema.json is not a JSON object');
    compiled = new Ajv({ allErrors: true, strict: false, strictNumbers: true, validateFormats: false }).compile<Results>(schema);
  }
  return compiled;
}

/** The schema's complaints about `data` (empty when it is a valid results file). */
export function resultsSchemaErrors(data: unknown): string[] {
  const validate = validator();
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
}

function schemaVersion(data: unknown): unknown {
  return typeof data === 'object' && data !== null && 'schema' in data ? data.schema : undefined;
}

const PREVIOUS_VERSION = 'netbench.results/1';

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * A version-1 file (before paired tracing overhead) read as version 2, so that earlier
 * baselines still load: its overhead had one traced trial per cell and no interval, so it
 * becomes "unresolved"; per-hop P99s were not kept. Everything else is unchanged; the
 * result is still checked against the schema.
 */
function fromVersion1(data: unknown): unknown {
  if (!isObject(data)) return data;
  const tracing = data.tracing;
  if (!isObject(tracing)) return { ...data, schema: RESULTS_SCHEMA_VERSION };
  const overhead = (o: unknown): unknown => {
    if (!isObject(o)) return o;
    const { flagged: _flagged, ...rest } = o;
    return { ...rest, pairs: 0, ratioLow: null, ratioHigh: null, level: 0.95, kind: 'unresolved' };
  };
  const hop = (h: unknown): unknown => (isObject(h) ? { ...h, p99Us: null } : h);
  const list = (x: unknown, f: (y: unknown) => unknown): unknown => (Array.isArray(x) ? x.map(f) : x);
  const cell = (c: unknown): unknown => (isObject(c) ? { ...c, overhead: c.overhead === null ? null : overhead(c.overhead), hops: list(c.hops, hop) } : c);
  return { ...data, schema: RESULTS_SCHEMA_VERSION, tracing: { ...tracing, cells: list(tracing.cells, cell), overhead: list(tracing.overhead, overhead), hops: list(tracing.hops, hop) } };
}

/** Parse and validate results text; `source` names it in errors. */
export function parseResults(text: string, source: string): Results {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new NetbenchError('USAGE', `cannot read results ${source}: ${errorMessage(err)}`);
  }
  let version = schemaVersion(data);
  if (version === PREVIOUS_VERSION) {
    data = fromVersion1(data);
    version = RESULTS_SCHEMA_VERSION;
  }
  if (version !== RESULTS_SCHEMA_VERSION) throw new NetbenchError('USAGE', `${source} is not a netbench results file of version ${RESULTS_SCHEMA_VERSION} (schema: ${JSON.stringify(version)})`);
  const validate = validator();
  if (validate(data)) return data;
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
  throw new NetbenchError('USAGE', `${source} does not match the results schema: ${errors.slice(0, 5).join('; ')}`);
}

/** Far above any real run (a standard run over every topology is a few MiB). */
export const MAX_RESULTS_BYTES = 256 * 1024 * 1024;

/** Read and validate a results file (or the results.json inside a run directory). */
export function loadResults(pathOrDir: string): Results {
  const file = pathOrDir.endsWith('.json') ? pathOrDir : join(pathOrDir, 'results.json');
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new NetbenchError('USAGE', `results ${file} is not a regular file`);
    if (st.size > MAX_RESULTS_BYTES) throw new NetbenchError('USAGE', `results ${file} is ${Math.round(st.size / 1048576)} MiB; a results file is at most ${MAX_RESULTS_BYTES / 1048576} MiB`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof NetbenchError) throw err;
    throw new NetbenchError('USAGE', `cannot read results ${file}: ${errorMessage(err)}`);
  }
  return parseResults(text, file);
}
