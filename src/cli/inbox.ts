/** `b24-events inbox`: stored events and their handlers' state; `inbox replay ID` runs an event's handlers again. */
import { Command, Option } from 'commander';
import type { InboxEntry } from '../core/views.js';
import { openApp, wholeNumber, withDb, withJson, type DbOptions } from './common.js';
import { print } from './output.js';

interface ListOptions extends DbOptions {
  event?: string;
  memberId?: string;
  status?: InboxEntry['status'];
  limit: number;
  json: boolean;
}

export function inboxCommand(): Command {
  return withJson(
    withDb(
      new Command('inbox')
        .enablePositionalOptions()
        .description('list stored events, newest first; "inbox replay ID" runs one again')
        .option('--event <name>', 'only this event (e.g. ONAPPMETHODCONFIRM)')
        .option('--member-id <id>', 'only this portal')
        .addOption(new Option('--status <status>', 'only this status').choices(['pending', 'processing', 'done', 'failed']))
        .option('--limit <n>', 'at most this many', wholeNumber('--limit'), 50),
    ),
  ).action(async (options: ListOptions) =>
    openApp(options, async (app) => {
      print<InboxEntry>(await app.inbox.list(options), options.json, [
        ['ID', (e) => e.id],
        ['MEMBER ID', (e) => e.memberId],
        ['EVENT', (e) => e.event],
        ['TS', (e) => e.ts],
        ['RECEIVED AT', (e) => e.receivedAt],
        ['STATUS', (e) => e.status],
        ['ATTEMPTS', (e) => e.attempts],
        ['LAST ERROR', (e) => e.lastError],
      ], 'The inbox is empty.');
    }),
  ).addCommand(replayCommand());
}

function replayCommand(): Command {
  return withDb(new Command('replay').description("run a finished or failed event's handlers again").argument('<id>', 'inbox id', wholeNumber('id')))
    .action(async (id: number, options: DbOptions) =>
      openApp(options, async (app) => {
        if (!(await app.inbox.replay(id))) {
          throw new Error(`inbox event ${id} does not exist or is still pending or processing`);
        }
        process.stdout.write(`Event ${id} is queued again; a running server picks it up within a second.\n`);
      }),
    );
}

