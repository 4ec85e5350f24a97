/** bench/gate.json (or --config): thresholds, validated by schemas/gate.schema.json and against the workload registry. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { NetbenchError, errorMessage, usageError } from '../errors.js';
import { BENCH_DIR, SCHEMA_DIR } from '../locations.js';
import type { Estimator } from '../results/verdict.js';
import { isWorkloadName, metricDef, WORKLOAD_NAMES, workload } from '../workloads/registry.js';

export interface GateConfig {
  readonly threshold: number;
  readonly alpha: number;
  readonly ignore: readonly string[];
  readonly metric: Readonly<Record<string, number>>;
  readonly workload: Readonly<Record<string, number>>;
  readonly workloadMetric: Readonly<Record<string, number>>;
  /** the test: on ranks (robust, the default) or on the logs' means (mean); gate/decide.ts */
  readonly estimator?: Estimator;
}

export const DEFAULT_GATE_CONFIG = join(BENCH_DIR, 'gate.json');
const MAX_CONFIG_BYTES = 64 * 1024;

type RawConfig = Partial<GateConfig> & { description?: string };

function schemaErrors(path: string, data: unknown): data is RawConfig {
  const schema: unknown = JSON.parse(readFileSync(join(SCHEMA_DIR, 'gate.schema.json'), 'utf8'));
  if (typeof schema !== 'object' || schema === null) throw new NetbenchError('IO', 'schemas/gate.schema.json is not a JSON object');
  const validate = new Ajv({ allErrors: true, strict: false, strictNumbers: true }).compile<RawConfig>(schema);
  if (validate(data)) return true;
  const errs = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}${e.params && 'allowedValues' in e.params ? ` (${String(e.params['allowedValues'])})` : ''}`);
  throw usageError(`gate config ${path} is invalid: ${errs.slice(0, 4).join('; ')} (schemas/gate.schema.json)`);
}

/** What the schema cannot say: overrides that name a metric the workload lacks, and ignoring a headline metric. */
function semanticErrors(raw: RawConfig): string[] {
  const out: string[] = [];
  for (const name of raw.ignore ?? []) {
    const heads = WORKLOAD_NAMES.filter((w) => workload(w).headline.includes(name));
    if (heads.length) out.push(`'ignore' may not drop ${name}: it is a headline metric of ${heads.join(', ')}, so its regressions would pass unseen`);
  }
  for (const key of Object.keys(raw.workloadMetric ?? {})) {
    const [w = '', m = ''] = key.split('.');
    if (!isWorkloadName(w) || !metricDef(w, m)) out.push(`'workloadMetric' names ${key}, but ${w} has no metric ${m}`);
  }
  return out;
}

export function loadGateConfig(path = DEFAULT_GATE_CONFIG): GateConfig {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) throw usageError(`gate config ${path} is larger than ${MAX_CONFIG_BYTES / 1024} KiB: not a gate config`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof NetbenchError) throw err;
    throw usageError(`cannot read gate config ${path}: ${errorMessage(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw usageError(`gate config ${path} is not valid JSON`);
  }
  if (!schemaErrors(path, data)) throw usageError(`gate config ${path} is invalid`);
  const problems = semanticErrors(data);
  if (problems.length) throw usageError(`gate config ${path}: ${problems.join('; ')}`);
  return { threshold: data.threshold ?? 0.05, alpha: data.alpha ?? 0.05, ignore: data.ignore ?? [], metric: data.metric ?? {}, workload: data.workload ?? {}, workloadMetric: data.workloadMetric ?? {}, estimator: data.estimator ?? 'robust' };
}

export function thresholdFor(cfg: GateConfig, workloadName: string, metric: string): number {
  return cfg.workloadMetric[`${workloadName}.${metric}`] ?? cfg.workload[workloadName] ?? cfg.metric[metric] ?? cfg.threshold;
}
