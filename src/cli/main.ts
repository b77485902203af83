#!/usr/bin/env node
/**
 * The `b24-events` command. Exit codes: 0 done, 1 failed (the database, a portal or the emulator answered with an
 * error, or was away), 2 used wrongly (an unknown command or option, a bad value: commander's errors and ours).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { B24EventsError } from '../protocol/index.js';
import { UsageError } from './common.js';
import { inboxCommand } from './inbox.js';
import { installationsCommand } from './installations.js';
import { offlineCommand } from './offline.js';
import { permissionsCommand } from './permissions.js';
import { pruneCommand } from './prune.js';
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

/** This package's version, from the nearest package.json named b24-events above this file (dist/, src/ or a bundle). */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const found = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (found.name === 'b24-events' && found.version) return found.version;
    } catch {
      // no package.json here: look further up
    }
    if (dir.pathname === '/') return '0.0.0';
  }
}
const version = packageVersion();

const program = new Command('b24-events')
  .description('Receive, verify and store Bitrix24 application events; resume calls that wait for confirmation.')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError()
  .enablePositionalOptions()
  .addCommand(serveCommand())
  .addCommand(installationsCommand())
  .addCommand(permissionsCommand())
  .addCommand(inboxCommand())
  .addCommand(offlineCommand())
  .addCommand(callCommand())
  .addCommand(callsCommand())
  .addCommand(pruneCommand())
  .addCommand(bindCommand())
  .addCommand(sendCommand())
  .addCommand(emulatorCommand());

// Commander exits 1 on its usage errors and does not pass settings to commands added with addCommand: let every
// command throw instead, so one place chooses the exit code.
const everyCommand = (command: Command): Command[] => [command, ...command.commands.flatMap(everyCommand)];
for (const command of everyCommand(program)) command.exitOverride();

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help, or the version) already.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`b24-events: ${message}\n`);
  process.exitCode = error instanceof UsageError || (error instanceof B24EventsError && error.status < 500) ? 2 : 1;
});
