/** `b24-events call`, `calls` and `bind`: REST calls to a portal, parked calls, and event bindings, by hand. */
import { Command, Option } from 'commander';
import { decodeForm, redact } from '../protocol/index.js';
import type { ParkedCall } from '../core/views.js';
import { callsRetryCommand } from './calls-retry.js';
import { openApp, UsageError, wholeNumber, withDb, withJson, type DbOptions } from './common.js';
import { print } from './output.js';

/** KEY=VALUE words as a PHP form would read them: `FIELDS[TITLE]=Deal`, `ID[]=1`. */
export function paramsFrom(words: string[]): Record<string, unknown> {
  const pairs = words.map((word) => {
    const at = word.indexOf('=');
    if (at <= 0) throw new UsageError(`"${word}" is not KEY=VALUE.`);
    return `${encodeURIComponent(word.slice(0, at))}=${encodeURIComponent(word.slice(at + 1))}`;
  });
  return { ...decodeForm(pairs.join('&')) };
}

interface CallOptions extends DbOptions {
  memberId: string;
  park?: string | boolean;
}

export function callCommand(): Command {
  return withDb(
    new Command('call')
      .description('call a REST method on a portal with its stored tokens; prints the outcome as JSON')
      .argument('<method>', 'REST method, e.g. voximplant.user.get')
      .argument('[params...]', 'parameters as KEY=VALUE (FIELDS[TITLE]=Deal for nested ones)')
      .requiredOption('--member-id <id>', "the portal's member_id")
      .option(
        '--park [continuation]',
        'if the method waits for confirmation, park the call (continuation name, default "cli")',
      ),
  ).action(async (method: string, words: string[], options: CallOptions) => {
    const params = paramsFrom(words);
    await openApp(options, async (app) => {
      const park = options.park === true ? 'cli' : options.park || undefined;
      const outcome = await app
        .rest(options.memberId)
        .call(method, params as never, park ? { whenWaiting: { park } } : {});
      process.stdout.write(`${JSON.stringify(redact(outcome), null, 2)}\n`);
    });
  });
}

export function callsCommand(): Command {
  return withJson(
    withDb(
      new Command('calls')
        .enablePositionalOptions()
        .description('list parked calls, newest first; "calls retry ID|--failed" sends failed ones back')
        .option('--member-id <id>', 'only this portal')
        .addOption(
          new Option('--state <state>', 'only this state').choices(['waiting', 'ready', 'done', 'denied', 'failed']),
        )
        .option('--limit <n>', 'at most this many', wholeNumber('--limit'), 100),
    ),
  )
    .action(
      async (options: DbOptions & { memberId?: string; state?: ParkedCall['state']; limit: number; json: boolean }) =>
        openApp(options, async (app) => {
          const outcome = (c: ParkedCall) =>
            c.error ? c.error : c.result === null ? null : JSON.stringify(c.result).slice(0, 60);
          print<ParkedCall>(
            await app.calls.list(options),
            options.json,
            [
              ['ID', (c) => c.id],
              ['MEMBER ID', (c) => c.memberId],
              ['METHOD', (c) => c.method],
              ['STATE', (c) => c.state],
              ['CONTINUATION', (c) => `${c.continuation} (${c.continuationStatus})`],
              ['CREATED AT', (c) => c.createdAt],
              ['FINISHED AT', (c) => c.finishedAt],
              ['RESULT OR ERROR', outcome],
            ],
            'No parked calls.',
          );
        }),
    )
    .addCommand(callsRetryCommand());
}

export function bindCommand(): Command {
  return withDb(
    new Command('bind')
      .description("bind the app's events on a portal to PUBLIC_URL/bitrix24/events with event.bind")
      .requiredOption('--member-id <id>', "the portal's member_id")
      .addOption(
        new Option('--public-url <url>', 'where Bitrix24 reaches this app').env('PUBLIC_URL').makeOptionMandatory(),
      ),
  ).action(async (options: DbOptions & { memberId: string; publicUrl: string }) => {
    if (!URL.canParse(options.publicUrl)) throw new UsageError(`--public-url "${options.publicUrl}" is not a URL.`);
    await openApp(
      options,
      async (app) => {
        for (const result of await app.bind(options.memberId))
          process.stdout.write(`${result.event.padEnd(20)} ${result.status.padEnd(14)} ${result.handler}\n`);
      },
      { publicUrl: options.publicUrl },
    );
  });
}
