/**
 * Integration setup: when a test ends, passed or failed, no `bench` it started in the
 * background may still run. One that does is killed as a process group, what it left
 * is cleaned, and the test fails saying which command it was.
 */
import { afterEach } from 'vitest';
import { killBackground } from './cli.js';

afterEach(async () => {
  const left = await killBackground();
  if (left.length) throw new Error(`the test left ${left.length} bench process(es) running (killed, then cleaned): ${left.join('; ')}`);
}, 60_000);
