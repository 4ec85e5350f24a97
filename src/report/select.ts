/** Which summary rows each exporter shows, from the workload registry's metric roles. */
import type { MetricSummary } from '../results/types.js';
import { workload } from '../workloads/registry.js';

/** The headline metrics: the primary one, and P99 latency for request/response. */
export function isHeadline(s: MetricSummary): boolean {
  return workload(s.workload).headline.includes(s.metric);
}

/** The primary metric: the one that answers "which is faster". */
export function isPrimary(s: MetricSummary): boolean {
  return workload(s.workload).primary === s.metric;
}
