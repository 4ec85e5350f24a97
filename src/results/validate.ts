/** Check a results.json against schemas/results.schema.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { NetbenchError } from '../errors.js';
import { SCHEMA_DIR } from '../locations.js';
import { RESULTS_SCHEMA_VERSION, type Results } from './types.js';

let compiled: ReturnType<Ajv['compile']> | undefined;

export function resultsSchemaErrors(data: unknown): string[] {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, 'results.schema.json'), 'utf8')) as object;
    compiled = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
  }
  if (compiled(data)) return [];
  return (compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
}

/** Read and validate a results file (or the results.json inside a run directory). */
export function loadResults(pathOrDir: string): Results {
  const file = pathOrDir.endsWith('.json') ? pathOrDir : join(pathOrDir, 'results.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new NetbenchError('USAGE', `cannot read results ${file}: ${(err as Error).message}`);
  }
  const schema = (data as { schema?: unknown }).schema;
  if (schema !== RESULTS_SCHEMA_VERSION) throw new NetbenchError('USAGE', `${file} is not a netbench results file of version ${RESULTS_SCHEMA_VERSION} (schema: ${JSON.stringify(schema)})`);
  const errors = resultsSchemaErrors(data);
  if (errors.length) throw new NetbenchError('USAGE', `${file} does not match the results schema: ${errors.slice(0, 5).join('; ')}`);
  return data as Results;
}
