/** Setup of both test groups: a file's scratch directories go when the file ends (test/support/scratch.ts). */
import { afterAll } from 'vitest';
import { removeScratch } from './scratch.js';

afterAll(() => {
  const kept = removeScratch();
  if (kept.length) process.stdout.write(`kept (NETBENCH_KEEP_TMP=1): ${kept.join(', ')}\n`);
});
