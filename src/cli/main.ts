#!/usr/bin/env node
/** The `b24-events` command. */
import { Command } from 'commander';
import { B24EventsError } from '../protocol/index.js';
import { inboxCommand } from './inbox.js';
import { installationsCommand } from './installations.js';
import { permissionsCommand } from './permissions.js';
import { bindCommand, callCommand, callsCommand } from './rest.js';
import { emulatorCommand } from './emulator.js';
import { sendCommand } from './send.js';
import { serveCommand } from './serve.js';

// `b24-events inbox | head -1`: the reader went away; stop quietly instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

const program = new Command('b24-events')
  .description('Receive, verify and store Bitrix24 application events; resume calls that wait for confirmation.')
  .showHelpAfterError()
  .enablePositionalOptions()
  .addCommand(serveCommand())
  .addCommand(installationsCommand())
  .addCommand(permissionsCommand())
  .addCommand(inboxCommand())
  .addCommand(callCommand())
  .addCommand(callsCommand())
  .addCommand(bindCommand())
  .addCommand(sendCommand())
  .addCommand(emulatorCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`b24-events: ${message}\n`);
  process.exitCode = error instanceof B24EventsError && error.status < 500 ? 2 : 1;
});
