/** `b24-events offline`: per portal, the offline queue's reconciliation (last run, recovered, backlog, errors). */
import { Command } from 'commander';
import type { OfflineStatus } from '../core/views.js';
import { openApp, withDb, withJson, type DbOptions } from './common.js';
import { print } from './output.js';

export function offlineCommand(): Command {
  return withJson(
    withDb(
      new Command('offline')
        .description(
          "the offline queue's reconciliation per portal: last run, records recovered (online delivery lost), matched, failed, backlog, errors",
        )
        .option('--member-id <id>', 'only this portal'),
    ),
  ).action(async (options: DbOptions & { memberId?: string; json: boolean }) =>
    openApp(options, async (app) => {
      print<OfflineStatus>(
        await app.offline.status(options.memberId),
        options.json,
        [
          ['MEMBER ID', (s) => s.memberId],
          ['MODE', (s) => s.mode ?? '-'],
          ['LAST RECONCILED', (s) => s.lastReconciledAt ?? 'never'],
          ['RECOVERED', (s) => s.recovered],
          ['MATCHED', (s) => s.matched],
          ['FAILED', (s) => s.failed],
          ['BACKLOG', (s) => s.backlog ?? '?'],
          ['ERRORS', (s) => s.errors],
          ['LAST ERROR', (s) => s.lastError ?? ''],
        ],
        'No portal has an offline queue to reconcile (no business events registered, or delivery is online).',
      );
    }),
  );
}
