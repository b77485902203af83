/** `b24-events permissions`: the administrator's decisions per portal, token and method. */
import { Command } from 'commander';
import type { Permission } from '../core/views.js';
import { openApp, withDb, withJson, type DbOptions } from './common.js';
import { print } from './output.js';

export function permissionsCommand(): Command {
  return withJson(
    withDb(
      new Command('permissions')
        .description('list the permission ledger')
        .option('--member-id <id>', 'only this portal'),
    ),
  ).action(async (options: DbOptions & { memberId?: string; json: boolean }) =>
    openApp(options, async (app) => {
      print<Permission>(
        await app.permissions(options.memberId),
        options.json,
        [
          ['MEMBER ID', (p) => p.memberId],
          ['METHOD', (p) => p.method],
          ['TOKEN', (p) => p.tokenFingerprint],
          ['STATE', (p) => p.state],
          ['LANGUAGE', (p) => p.languageId],
          ['REQUESTED AT', (p) => p.requestedAt],
          ['DECIDED AT', (p) => p.decidedAt],
        ],
        'No permissions recorded.',
      );
    }),
  );
}
