/**
 * The reconciler's state, one row per portal (docs/protocol.md#8-offline-events): when it is due, who holds it
 * (a lease, as every runner task), the batch the portal has reserved for it (`process_id`), and what it has done.
 * ONOFFLINEEVENT, start-up and the slow timer make a row due; a claim takes it under a lease so only one instance
 * reconciles a portal at a time. Every write-back after the claim names the lease holder.
 */
import { sql, type ExpressionBuilder, type Updateable } from 'kysely';
import { claimable, type Lease } from './lease.js';
import type { Database, Db, OfflineMode, OfflineSyncRow, OfflineSyncTable, Store } from './schema.js';

/** Creates the portal's row (due at `dueAt`), or updates its source key and brings it forward to `dueAt`. */
export async function ensureOfflineSync(
  db: Db,
  memberId: string,
  options: { authConnector: string | null; dueAt: string },
): Promise<void> {
  await db
    .insertInto('offline_sync')
    .values({
      member_id: memberId,
      auth_connector: options.authConnector,
      next_attempt_at: options.dueAt,
      updated_at: options.dueAt,
    })
    .onConflict((oc) =>
      oc.column('member_id').doUpdateSet({ auth_connector: options.authConnector, updated_at: options.dueAt }),
    )
    .execute();
  await makeOfflineSyncDue(db, options.dueAt, memberId);
}

/**
 * Brings the row of one portal (or every row) forward to `at`. A row being reconciled keeps its lease; because its
 * `next_attempt_at` no longer equals what the claim wrote, the run's write-back leaves it due, and it runs again.
 */
export async function makeOfflineSyncDue(db: Db, at: string, memberId?: string): Promise<number> {
  let query = db.updateTable('offline_sync').set({ next_attempt_at: at }).where('next_attempt_at', '>', at);
  if (memberId !== undefined) query = query.where('member_id', '=', memberId);
  return Number((await query.executeTakeFirst()).numUpdatedRows);
}

/** Uninstall deletes the portal's queue: nothing is left to reconcile. */
export async function deleteOfflineSync(db: Db, memberId: string): Promise<void> {
  await db.deleteFrom('offline_sync').where('member_id', '=', memberId).execute();
}

const due = (now: string) => (eb: ExpressionBuilder<Database, 'offline_sync'>) =>
  eb.and([eb('next_attempt_at', '<=', now), eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)])]);

/**
 * Leases up to `limit` due portals. The claim moves `next_attempt_at` to the lease's end, a mark: a signal during
 * the run moves it back, and `completeOfflineSync` then keeps it due instead of setting the timer.
 */
export async function claimDueOfflineSync(store: Store, lease: Lease, limit: number): Promise<OfflineSyncRow[]> {
  const ids = claimable(
    store,
    store.db
      .selectFrom('offline_sync')
      .select('member_id')
      .where(due(lease.now))
      .orderBy('next_attempt_at')
      .limit(limit),
  );
  return store.db
    .updateTable('offline_sync')
    .set((eb) => ({
      locked_until: lease.until,
      lease_owner: lease.owner,
      next_attempt_at: lease.until,
      attempts: eb('attempts', '+', 1),
    }))
    .where('member_id', 'in', ids)
    .where(due(lease.now))
    .returningAll()
    .execute();
}

/** A change of the row under the lease; false (nothing written) when `owner` no longer holds it. */
export async function updateOfflineSync(
  db: Db,
  memberId: string,
  owner: string,
  changes: Updateable<OfflineSyncTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('offline_sync')
    .set(changes)
    .where('member_id', '=', memberId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The portal answered a batch: remember its process_id before storing anything, so a crash re-reads it. */
export const rememberBatch = (db: Db, memberId: string, owner: string, processId: string, at: string) =>
  updateOfflineSync(db, memberId, owner, { process_id: processId, batch_state: 'reserved', updated_at: at });

/** The batch is acknowledged: nothing is reserved for this portal any more. */
export const forgetBatch = (db: Db, memberId: string, owner: string, at: string) =>
  updateOfflineSync(db, memberId, owner, {
    process_id: null,
    batch_state: null,
    failed_message_ids: null,
    updated_at: at,
  });

export const setOfflineMode = (db: Db, memberId: string, owner: string, mode: OfflineMode, at: string) =>
  updateOfflineSync(db, memberId, owner, { mode, updated_at: at });

/** A run ended well: the lease released, the row due at `nextAt` unless a signal came during the run. */
export async function completeOfflineSync(
  db: Db,
  row: OfflineSyncRow,
  owner: string,
  changes: { nextAt: string; at: string; backlog: number | null },
): Promise<boolean> {
  const result = await db
    .updateTable('offline_sync')
    .set({
      next_attempt_at: sql<string>`case when next_attempt_at = ${row.locked_until} then ${changes.nextAt} else next_attempt_at end`,
      attempts: 0,
      locked_until: null,
      lease_owner: null,
      last_reconciled_at: changes.at,
      backlog: changes.backlog,
      updated_at: changes.at,
    })
    .where('member_id', '=', row.member_id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A run failed: counted and shown, the lease released, the row due again at `retryAt`. */
export async function failOfflineSync(
  db: Db,
  memberId: string,
  owner: string,
  failure: { error: string; retryAt: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('offline_sync')
    .set((eb) => ({
      errors: eb('errors', '+', 1),
      last_error: failure.error,
      last_error_at: failure.at,
      next_attempt_at: failure.retryAt,
      locked_until: null,
      lease_owner: null,
      updated_at: failure.at,
    }))
    .where('member_id', '=', memberId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export function listOfflineSync(db: Db, memberId?: string): Promise<OfflineSyncRow[]> {
  let query = db.selectFrom('offline_sync').selectAll().orderBy('member_id');
  if (memberId !== undefined) query = query.where('member_id', '=', memberId);
  return query.execute();
}

/**
 * In the transaction that stored a batch's records: the batch is `stored` (only its acknowledgement is left), the
 * MESSAGE_IDs to mark failed, and the counts. False (the caller rolls back) when `owner` lost the lease.
 */
export async function recordStoredBatch(
  db: Db,
  memberId: string,
  owner: string,
  batch: {
    processId: string | null;
    failedMessageIds: string[];
    counts: { recovered: number; matched: number; failed: number };
    at: string;
  },
): Promise<boolean> {
  const { recovered, matched, failed } = batch.counts;
  const result = await db
    .updateTable('offline_sync')
    .set((eb) => ({
      process_id: batch.processId,
      batch_state: batch.processId ? 'stored' : null,
      failed_message_ids: batch.processId ? JSON.stringify(batch.failedMessageIds) : null,
      recovered: eb('recovered', '+', recovered),
      matched: eb('matched', '+', matched),
      failed: eb('failed', '+', failed),
      updated_at: batch.at,
    }))
    .where('member_id', '=', memberId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
