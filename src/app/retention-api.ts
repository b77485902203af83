/** Retention as the app runs it: its settings (option, B24_RETENTION_DAYS), the periodic job, and `app.retention`. */
import { PeriodicTask } from '../core/periodic-task.js';
import {
  countPrunable,
  defaultRetentionSettings,
  prune,
  retentionCutoff,
  retentionDays,
  retentionJob,
  type RetentionSettings,
} from '../core/retention.js';
import type { Store } from '../store/schema.js';
import type { RetentionApi } from './app-api.js';
import type { Metrics } from './metrics.js';

export function retentionWiring(
  store: Store,
  options: Partial<RetentionSettings> | undefined,
  metrics: Metrics,
  clock: () => number,
  ready: () => Promise<void>,
) {
  const settings: RetentionSettings = {
    ...defaultRetentionSettings,
    ...options,
    days: retentionDays(options?.days ?? process.env.B24_RETENTION_DAYS),
  };
  const api: RetentionApi = {
    days: settings.days,
    prune: async ({ before, includeFailed = false, dryRun = false } = {}) => {
      await ready();
      const scope = { before: before?.toISOString() ?? retentionCutoff(settings.days, clock()), includeFailed };
      if (dryRun) return countPrunable(store.db, scope);
      const pruned = await prune(store, scope, settings.batchSize);
      metrics.countPruned(pruned);
      return pruned;
    },
  };
  // `days: 0` keeps everything: no job.
  const task =
    settings.days > 0
      ? new PeriodicTask(store, retentionJob(store, settings, metrics.countPruned, clock), clock)
      : undefined;
  return { api, task };
}
