/** Types of scripts/structure.mjs, for the architecture test. */
export const LAYERS: readonly (readonly string[])[];
export function layerOf(file: string): number;
export interface Analysis {
  readonly imports: readonly { from: string; to: string; line: number }[];
  readonly upward: readonly { from: string; to: string; line: number }[];
  readonly functions: readonly { file: string; name: string; lines: number; line: number }[];
  readonly casts: readonly { file: string; line: number; text: string; type: string }[];
  readonly sizes: readonly { file: string; lines: number }[];
}
export function analyze(root: string): Analysis;
