/**
 * The inbox seen from the offline queue: the last online event about an object (to tell a record already handled
 * from one whose online delivery was lost), and storing a record once however often its batch is read.
 */
import type { Insertable } from 'kysely';
import type { Db, InboxTable } from './schema.js';

export interface OnlineSighting {
  /** The event's `ts` (whole seconds, ISO). */
  ts: string;
  /** Its handlers have not started yet: when they run they see the object's state after every change so far. */
  unstarted: boolean;
}

/** The latest online event about this object (same event name, same ids), if any. Uses the index `inbox_object`. */
export async function lastOnlineEvent(
  db: Db,
  memberId: string,
  objectKey: string,
): Promise<OnlineSighting | undefined> {
  const row = await db
    .selectFrom('inbox')
    .select(['ts', 'status', 'attempts'])
    .where('member_id', '=', memberId)
    .where('object_key', '=', objectKey)
    .where('via', '=', 'online')
    .orderBy('ts', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { ts: row.ts, unstarted: row.status === 'pending' && row.attempts === 0 };
}

/** Stores a record read from the offline queue; false when its `offline_key` was stored before (a re-read batch). */
export async function insertOfflineEvent(db: Db, row: Insertable<InboxTable>): Promise<boolean> {
  const inserted = await db
    .insertInto('inbox')
    .values(row)
    .onConflict((oc) => oc.column('offline_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}
