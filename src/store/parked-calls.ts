/**
 * Parked calls: REST calls that wait for the administrator's decision, then for their replay, then for their
 * continuation. Workers claim rows with a lease (`locked_until`, `lease_owner`); every write after a claim names
 * the owner, so a worker whose lease was taken over can no longer change the row.
 */
import type { Insertable, SelectQueryBuilder, Updateable } from 'kysely';
import type { Database, Db, ParkedCallRow, ParkedCallsTable, ParkedCallState } from './schema.js';

export async function insertParkedCall(db: Db, row: Insertable<ParkedCallsTable>): Promise<number> {
  const { id } = await db.insertInto('parked_calls').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(id);
}

/** ONAPPMETHODCONFIRM for (portal, token, method): the calls waiting under it become ready, or end denied. */
export async function decideParkedCalls(db: Db, key: { memberId: string; tokenHash: string; method: string }, granted: boolean, at: string): Promise<number> {
  const result = await db
    .updateTable('parked_calls')
    .set(granted ? { state: 'ready', next_attempt_at: at, updated_at: at } : { state: 'denied', finished_at: at, updated_at: at, next_attempt_at: at })
    .where('member_id', '=', key.memberId)
    .where('token_hash', '=', key.tokenHash)
    .where('method', '=', key.method)
    .where('state', '=', 'waiting')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

interface Claim {
  owner: string;
  now: string;
  leaseUntil: string;
  limit: number;
  /** PostgreSQL: pass over rows another instance is claiming right now. */
  skipLocked?: boolean;
}

/** Calls due now that no worker holds (or whose holder's lease ran out). */
function dueAndFree(db: Db, now: string) {
  return db
    .selectFrom('parked_calls')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]));
}

/** Takes the lease on the chosen calls; the condition is checked again, so two workers never hold one call. */
function lease(db: Db, claim: Claim, ids: SelectQueryBuilder<Database, 'parked_calls', { id: number }>) {
  return db
    .updateTable('parked_calls')
    .set({ locked_until: claim.leaseUntil, lease_owner: claim.owner })
    .where('id', 'in', ids)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', claim.now)]))
    .returningAll()
    .execute();
}

/** Leases up to `limit` ready calls of one portal (the one whose call has waited longest), for one batch. */
export async function claimReadyCalls(db: Db, claim: Claim): Promise<ParkedCallRow[]> {
  const ready = () => dueAndFree(db, claim.now).where('state', '=', 'ready');
  const first = await ready().select('member_id').orderBy('id').limit(1).executeTakeFirst();
  if (!first) return [];
  const ids = ready().select('id').where('member_id', '=', first.member_id).orderBy('id').limit(claim.limit);
  return lease(db, claim, ids.$if(Boolean(claim.skipLocked), (q) => q.forUpdate().skipLocked()));
}

/** Leases finished calls whose continuation has not run yet. */
export function claimContinuations(db: Db, claim: Claim): Promise<ParkedCallRow[]> {
  const finished = dueAndFree(db, claim.now).where('state', 'in', ['done', 'denied', 'failed']).where('continuation_status', '=', 'pending');
  const ids = finished.select('id').orderBy('id').limit(claim.limit);
  return lease(db, claim, ids.$if(Boolean(claim.skipLocked), (q) => q.forUpdate().skipLocked()));
}

/** Writes what a worker learnt about a call it holds, and releases it; false when its lease was taken over. */
export async function settleParkedCall(db: Db, id: number, owner: string, changes: Updateable<ParkedCallsTable>): Promise<boolean> {
  const result = await db
    .updateTable('parked_calls')
    .set({ ...changes, locked_until: null, lease_owner: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface ParkedCallQuery {
  memberId?: string | undefined;
  state?: ParkedCallState | undefined;
  limit?: number | undefined;
}

export function listParkedCalls(db: Db, query: ParkedCallQuery = {}): Promise<ParkedCallRow[]> {
  let q = db.selectFrom('parked_calls').selectAll().orderBy('id', 'desc').limit(query.limit ?? 100);
  if (query.memberId) q = q.where('member_id', '=', query.memberId);
  if (query.state) q = q.where('state', '=', query.state);
  return q.execute();
}

export function getParkedCall(db: Db, id: number): Promise<ParkedCallRow | undefined> {
  return db.selectFrom('parked_calls').selectAll().where('id', '=', id).executeTakeFirst();
}
