/** A promise that resolves after `ms` milliseconds: the one timer every poll loop shares. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether `p` settles within `ms`. The timer is cleared as soon as the race is decided,
 * so a long grace period never keeps the process alive after the work is done.
 */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}
