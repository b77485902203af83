/**
 * The `b24-events` command as a function: `runCommand(process.argv)` runs one command line and answers its exit
 * code: 0 done, 1 failed (the database, a portal or the emulator answered with an error, or was away), 2 used
 * wrongly (an unknown command or option, a bad value: commander's errors and ours). src/cli/main.ts is the
 * executable; the tests run many commands in one process through this function.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { B24EventsError } from '../protocol/index.js';
import { ReportedFailure, UsageError } from './common.js';
import { inboxCommand } from './inbox.js';
import { installationsCommand } from './installations.js';
import { offlineCommand } from './offline.js';
import { permissionsCommand } from './permissions.js';
import { pruneCommand } from './prune.js';
import { bindCommand, callCommand, callsCommand } from './rest.js';
import { emulatorCommand } from './emulator.js';
import { sendCommand } from './send.js';
import { serveCommand } from './serve.js';

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

/** Runs one command line (`argv` as process.argv: node, the script, then the arguments); answers its exit code. */
export async function runCommand(argv: string[]): Promise<number> {
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

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has printed its own errors (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ReportedFailure) return 1;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`b24-events: ${message}\n`);
    return error instanceof UsageError || (error instanceof B24EventsError && error.status < 500) ? 2 : 1;
  }
}
