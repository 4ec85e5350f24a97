/** The one poller of the tests: true once `pred` holds, false if it still does not at the deadline (checked once more then). */
export async function waitFor(pred: () => boolean, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return pred();
}
