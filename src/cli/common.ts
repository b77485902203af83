/** Options every command shares and the app a command opens on the chosen database. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseRateLimit, type RateLimit } from '../protocol/index.js';
import { createApp, DEFAULT_DATABASE, type AppOptions, type B24App } from '../app/create-app.js';
import { openStore } from '../store/open.js';

/** A command used wrongly (a bad flag value, a missing choice): exits 2, like commander's own usage errors. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the command has printed already (send: the server's answer): exits 1 with nothing more said. */
export class ReportedFailure extends Error {
  override name = 'ReportedFailure';
}

export interface DbOptions {
  db: string;
}

export function withDb(command: Command): Command {
  return command.addOption(
    new Option('--db <url>', 'SQLite file (or sqlite:/file: URL), or a postgres:// URL')
      .env('DATABASE_URL')
      .default(DEFAULT_DATABASE),
  );
}

export function withJson(command: Command): Command {
  return command.option('--json', 'print one JSON array instead of a table', false);
}

/** An app on the database for commands that read or change state; it runs no handlers. */
export async function openApp(
  options: DbOptions,
  run: (app: B24App) => Promise<void>,
  extra: AppOptions = {},
): Promise<void> {
  const app = createApp({ store: openStore(options.db), workers: false, logger: { level: 'warn' }, ...extra });
  try {
    await app.ready();
    await run(app);
  } finally {
    await app.close();
  }
}

export function wholeNumber(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min)
      throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}, not "${value}".`);
    return n;
  };
}

/** A request limit written PER_SECOND/BURST, like 2/50 or 0.5/10. */
export function rateLimitArgument(name: string, value: string, or = ''): RateLimit {
  const limit = parseRateLimit(value);
  if (!limit) throw new UsageError(`${name} must be PER_SECOND/BURST (like 2/50)${or}, not "${value}".`);
  return limit;
}
