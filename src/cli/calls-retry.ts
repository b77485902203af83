/** `b24-events calls retry ID | --failed [--member-id M]`: failed parked calls back to ready; a running server replays them. */
import { Command } from 'commander';
import { retryFailedCalls } from '../app/bulk.js';
import { openApp, wholeNumber, withDb, type DbOptions } from './common.js';

interface RetryOptions extends DbOptions {
  failed: boolean;
  memberId?: string;
}

export function callsRetryCommand(): Command {
  return withDb(
    new Command('retry')
      .description(
        'send a failed parked call (or, with --failed, every failed one) back to be replayed, its continuation run again',
      )
      .argument('[id]', 'parked call id', wholeNumber('id'))
      .option('--failed', 'every failed call', false)
      .option('--member-id <id>', 'with --failed: only this portal'),
  ).action(async (id: number | undefined, options: RetryOptions) => {
    if ((id === undefined) === !options.failed) throw new Error('give either a parked call ID or --failed.');
    await openApp(options, async (app) => {
      if (id === undefined) {
        const ids = await retryFailedCalls(app, options.memberId);
        process.stdout.write(
          ids.length === 0
            ? 'No failed parked calls.\n'
            : `${ids.length} failed call${ids.length === 1 ? '' : 's'} ready again (${ids.join(', ')}).\n`,
        );
        return;
      }
      const call = await app.calls.get(id);
      if (!call) throw new Error(`parked call ${id} does not exist`);
      if (!(await app.calls.retry(id)))
        throw new Error(`parked call ${id} is ${call.state}: only a failed call can be retried`);
      process.stdout.write(`Parked call ${id} is ready again; a running server replays it within a second.\n`);
    });
  });
}
