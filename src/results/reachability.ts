/**
 * The reachability matrix of one built topology, as results record it: each cell's
 * expected and observed value, with the evidence (docs/methodology.md has the table).
 */
export const REACHABILITY_CELLS = ['c1->peer', 'peer->c1', 'peer->c1 published', 'c1->c2', 'hostA->c1', 'peer sees c1 as'] as const;
export type ReachabilityCellId = (typeof REACHABILITY_CELLS)[number];
/** yes, no, n/a, refused, allowed, c1 or hostA, or what was seen instead */
export type ReachabilityValue = string;

export interface ReachabilityCell {
  readonly id: ReachabilityCellId;
  readonly expected: ReachabilityValue;
  readonly observed: ReachabilityValue;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ReachabilityResult {
  readonly topology: string;
  readonly cells: readonly ReachabilityCell[];
  readonly ok: boolean;
}
