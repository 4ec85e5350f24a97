/** What a parser makes of one tool invocation's stdout: figures, or the reason there are none. */
export type Parsed =
  | { readonly ok: true; readonly values: Readonly<Record<string, number>>; readonly flags: readonly string[] }
  | { readonly ok: false; readonly error: string };

export function fail(error: string): Parsed {
  return { ok: false, error };
}
