/**
 * `b24-events inbox`: stored events and their handlers' state; `inbox replay ID` runs an event's handlers again, and
 * `inbox replay --status failed [--event E] [--member-id M]` every failed one that matches.
 */
import { Command, Option } from 'commander';
import { replayFailedEvents } from '../app/bulk.js';
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
        .description(
          'list stored events, newest first; "inbox replay ID" runs one again. Finished events are deleted after B24_RETENTION_DAYS (default 30; see "prune"), failed ones kept',
        )
        .option('--event <name>', 'only this event (e.g. ONAPPMETHODCONFIRM)')
        .option('--member-id <id>', 'only this portal')
        .addOption(
          new Option('--status <status>', 'only this status').choices(['pending', 'processing', 'done', 'failed']),
        )
        .option('--limit <n>', 'at most this many', wholeNumber('--limit'), 50),
    ),
  )
    .action(async (options: ListOptions) =>
      openApp(options, async (app) => {
        print<InboxEntry>(
          await app.inbox.list(options),
          options.json,
          [
            ['ID', (e) => e.id],
            ['MEMBER ID', (e) => e.memberId],
            ['EVENT', (e) => e.event],
            ['VIA', (e) => e.via],
            ['TS', (e) => e.ts],
            ['RECEIVED AT', (e) => e.receivedAt],
            ['STATUS', (e) => e.status],
            ['ATTEMPTS', (e) => e.attempts],
            ['LAST ERROR', (e) => e.lastError],
          ],
          'The inbox is empty.',
        );
      }),
    )
    .addCommand(replayCommand());
}

interface ReplayOptions extends DbOptions {
  status?: 'failed';
  event?: string;
  memberId?: string;
}

function replayCommand(): Command {
  return withDb(
    new Command('replay')
      .description(
        "run a finished or failed event's handlers again; with --status failed, every failed event matching --event and --member-id",
      )
      .argument('[id]', 'inbox id', wholeNumber('id'))
      .addOption(new Option('--status <status>', 'replay every event in this status').choices(['failed']))
      .option('--event <name>', 'with --status: only this event')
      .option('--member-id <id>', 'with --status: only this portal'),
  ).action(async (id: number | undefined, options: ReplayOptions) => {
    if ((id === undefined) === (options.status === undefined))
      throw new Error('give either an inbox ID or --status failed (with --event, --member-id to narrow it).');
    if (id !== undefined && (options.event || options.memberId))
      throw new Error('--event and --member-id go with --status failed, not with an ID.');
    await openApp(options, async (app) => {
      if (id === undefined) {
        const ids = await replayFailedEvents(app, { event: options.event, memberId: options.memberId });
        process.stdout.write(
          ids.length === 0
            ? 'No failed events match.\n'
            : `${ids.length} failed event${ids.length === 1 ? '' : 's'} queued again (${ids.join(', ')}); a running server picks them up within a second.\n`,
        );
        return;
      }
      if (!(await app.inbox.replay(id))) {
        throw new Error(`inbox event ${id} does not exist or is still pending or processing`);
      }
      process.stdout.write(`Event ${id} is queued again; a running server picks it up within a second.\n`);
    });
  });
}
