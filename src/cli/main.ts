#!/usr/bin/env node
/** The `b24-events` executable: runs one command line with src/cli/program.ts (which says what its exit codes mean). */
import { runCommand } from './program.js';

// `b24-events inbox | head -1`: the reader went away; stop quietly instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

process.exitCode = await runCommand(process.argv);
