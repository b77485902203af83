/**
 * `b24-events prune [--older-than 30d] [--dry-run] [--include-failed] [--json]`: deletes finished inbox events and
 * ended parked calls now, as the server's retention job does every hour.
 */
import { Command, InvalidArgumentError } from 'commander';
import { retentionPolicy } from '../core/retention.js';
import { openApp, UsageError, withDb, withJson, type DbOptions } from './common.js';

interface PruneCliOptions extends DbOptions {
  olderThan?: number;
  dryRun: boolean;
  includeFailed: boolean;
  json: boolean;
}

const UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };

/** "30d", "12h", "90m" in milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+)([dhm])$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`give an age such as 30d, 12h or 90m, not "${value}".`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export function pruneCommand(): Command {
  return withJson(
    withDb(
      new Command('prune')
        .description('delete finished events and ended parked calls older than the retention period (failed ones stay)')
        .option(
          '--older-than <age>',
          'what finished longer ago than this (30d, 12h, 90m); default: B24_RETENTION_DAYS, else 30d',
          duration,
        )
        .option('--dry-run', 'count what would be deleted, delete nothing', false)
        .option('--include-failed', 'failed events and calls too (they are kept otherwise)', false),
    ),
  ).action(async (options: PruneCliOptions) =>
    openApp(options, async (app) => {
      if (options.olderThan === undefined && app.retention.days === 0)
        throw new UsageError('retention is off (B24_RETENTION_DAYS=0): give --older-than to prune by hand.');
      const before = options.olderThan === undefined ? undefined : new Date(Date.now() - options.olderThan);
      const counts = await app.retention.prune({
        before,
        includeFailed: options.includeFailed,
        dryRun: options.dryRun,
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ...counts, dryRun: options.dryRun }, null, 2)}\n`);
        return;
      }
      const what = `${plural(counts.events, 'event')} and ${plural(counts.calls, 'parked call')}`;
      process.stdout.write(`${options.dryRun ? `Would delete ${what}.` : `Deleted ${what}.`}\n`);
      process.stdout.write(`${retentionPolicy(app.retention.days)}\n`);
    }),
  );
}
