/** A promise that resolves after `ms` milliseconds: the one timer every poll loop shares. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
