#!/usr/bin/env node
/**
 * The `b24-events` command (src/cli/program.ts). Exit codes: 0 done, 1 failed (the database, a portal or the
 * emulator answered with an error, or was away), 2 used wrongly (an unknown command or option, a bad value).
 */
import { runCommand } from './program.js';

// `b24-events inbox | head -1`: the reader went away; stop quietly instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

process.exitCode = await runCommand(process.argv);
