/**
 * Retention: finished inbox events and ended parked calls older than `days` are deleted by a periodic job, in small
 * batches, so the database does not keep every payload forever. Failed ones stay until replayed or purged by hand
 * (`b24-events prune --include-failed`). `days: 0` keeps everything.
 */
import { ConfigurationError } from '../rest/oauth.js';
import { countPrunable, pruneBatch, type PruneCounts, type PruneScope } from '../store/retention.js';
import type { Store } from '../store/schema.js';
import type { PeriodicJob } from './periodic-task.js';

export interface RetentionSettings {
  /** Finished entries older than this are deleted. Default B24_RETENTION_DAYS, else 30; 0 keeps everything. */
  days: number;
  /** How often the job runs. Default 1 hour. */
  everyMs: number;
  /** Rows deleted per statement, per table (a short transaction each). Default 500. */
  batchSize: number;
}

export const defaultRetentionSettings: RetentionSettings = { days: 30, everyMs: 3_600_000, batchSize: 500 };

const DAY_MS = 86_400_000;

/** A usable number of days from the option or B24_RETENTION_DAYS; throws a message naming the fault. */
export function retentionDays(value: number | string | undefined): number {
  if (value === undefined || value === '') return defaultRetentionSettings.days;
  const days = Number(value);
  if (!Number.isFinite(days) || days < 0)
    throw new ConfigurationError(
      `retention.days (B24_RETENTION_DAYS) must be a number of days, 0 to keep everything, not "${String(value).slice(0, 20)}".`,
    );
  return days;
}

/** The cutoff `days` before `now`. */
export const retentionCutoff = (days: number, now = Date.now()): string => new Date(now - days * DAY_MS).toISOString();

/** What retention keeps, in a sentence, for the CLI and the dashboard. */
export function retentionPolicy(days: number): string {
  return days === 0
    ? 'Finished events and calls are kept forever (retention is off: B24_RETENTION_DAYS=0).'
    : `Finished events and calls are deleted after ${days} day${days === 1 ? '' : 's'}; failed ones are kept until replayed or purged by hand (b24-events prune --include-failed).`;
}

/** Deletes everything in scope, batch by batch, until none is left or `signal` aborts; how many of each went. */
export async function prune(
  store: Store,
  scope: PruneScope,
  batchSize: number,
  signal?: AbortSignal,
): Promise<PruneCounts> {
  const total = { events: 0, calls: 0 };
  for (;;) {
    signal?.throwIfAborted();
    const batch = await pruneBatch(store.db, scope, batchSize);
    total.events += batch.events;
    total.calls += batch.calls;
    if (batch.events < batchSize && batch.calls < batchSize) return total;
    // Let requests and other work in between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export { countPrunable };

export function retentionJob(
  store: Store,
  settings: RetentionSettings,
  onPruned: (counts: PruneCounts) => void,
  clock: () => number = Date.now,
): PeriodicJob {
  return {
    name: 'retention',
    everyMs: settings.everyMs,
    async run({ signal }) {
      const pruned = await prune(
        store,
        { before: retentionCutoff(settings.days, clock()) },
        settings.batchSize,
        signal,
      );
      onPruned(pruned);
      return `deleted ${pruned.events} finished events and ${pruned.calls} ended calls`;
    },
  };
}
