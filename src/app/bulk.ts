/** Actions on many entries at once, for the CLI and the dashboard: replay every failed event a filter matches, retry every failed call. */
import type { B24App } from './create-app.js';
import { failedInboxIds, type InboxFilter } from '../store/stats.js';
import { failedCallIds } from '../store/retry.js';

/** Replays the failed events matching the filter, oldest first; answers the ids queued again. */
export async function replayFailedEvents(app: B24App, filter: Omit<InboxFilter, 'status'>): Promise<number[]> {
  await app.ready();
  const replayed: number[] = [];
  for (const id of await failedInboxIds(app.store.db, filter)) if (await app.inbox.replay(id)) replayed.push(id);
  return replayed;
}

/** Sends every failed parked call (of one portal, if given) back to be replayed; answers their ids. */
export async function retryFailedCalls(app: B24App, memberId?: string): Promise<number[]> {
  await app.ready();
  const retried: number[] = [];
  for (const id of await failedCallIds(app.store.db, memberId)) if (await app.calls.retry(id)) retried.push(id);
  return retried;
}
