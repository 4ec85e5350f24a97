#!/usr/bin/env node
/** The `bench` executable. */
import { processIO } from './io.js';
import { runCli } from './program.js';

// output piped into `head` and closed early is not an error worth a stack trace
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

const code = await runCli(process.argv.slice(2), { io: processIO });
process.exitCode = code;
