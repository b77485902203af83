/**
 * Parked calls: REST calls that wait for the administrator's decision, then for their replay, then for their
 * continuation. Workers claim rows with a lease (`locked_until`, `lease_owner`); every write after a claim names
 * the owner, so a worker whose lease was taken over can no longer change the row.
 */
import type { Insertable, Kysely, SelectQueryBuilder, Updateable } from 'kysely';
import { claimable, type Lease } from './lease.js';
import { permissionKey, recordRefusal, recordWaiting, type PermissionKey } from './permissions.js';
import type { Database, Db, ParkedCallRow, ParkedCallsTable, ParkedCallState, PermissionRow, Store } from './schema.js';

export async function insertParkedCall(db: Db, row: Insertable<ParkedCallsTable>): Promise<number> {
  const { id } = await db.insertInto('parked_calls').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(id);
}

/** What the portal answered METHOD_CONFIRM_WAITING to, and what to park (with `continuation`, the call is parked). */
export interface WaitingCall {
  key: PermissionKey;
  tokenExpiresAt: string | null;
  /** When the call was sent: a decision recorded after it applies to it. */
  startedAt: string;
  at: string;
  park?: { continuation: string; params: string } | undefined;
}

/**
 * Records the wait in the ledger and parks the call, in one transaction, before `call()` answers. The call starts
 * `ready` (or `denied`) when a decision for its token arrived while it was on its way; other instances are then
 * told there is work once this commits.
 */
export function recordWaitingCall(
  store: Store,
  w: WaitingCall,
): Promise<{ permission: PermissionRow; parkedCallId?: number }> {
  return store.db.transaction().execute(async (trx) => {
    const permission = await recordWaiting(trx, {
      ...w.key,
      requestedAt: w.at,
      tokenExpiresAt: w.tokenExpiresAt,
      callStartedAt: w.startedAt,
    });
    if (!w.park) return { permission };
    const state = permission.state === 'granted' ? 'ready' : permission.state === 'denied' ? 'denied' : 'waiting';
    const parkedCallId = await insertParkedCall(trx, {
      member_id: w.key.memberId,
      method: w.key.method,
      params: w.park.params,
      token_hash: w.key.tokenHash,
      continuation: w.park.continuation,
      state,
      created_at: w.at,
      updated_at: w.at,
      finished_at: state === 'denied' ? w.at : null,
      next_attempt_at: w.at,
      attempts: 0,
      continuation_status: 'pending',
      continuation_attempts: 0,
    });
    // A ready call waits for its replay; a denied one for its continuation.
    if (state !== 'waiting') await store.announceWork(trx, [state === 'ready' ? 'replays' : 'continuations']);
    return { permission, parkedCallId };
  });
}

export interface ParkedCallDecision extends PermissionKey {
  granted: boolean;
}

/**
 * ONAPPMETHODCONFIRM for (portal, token, method): the calls waiting under it become ready, or end denied. Decisions
 * apply as if one after another in the order given: the first for a key decides its waiting calls. Answers how many
 * calls were decided.
 */
export async function decideParkedCalls(db: Db, decisions: ParkedCallDecision[], at: string): Promise<number> {
  const first = new Map<string, ParkedCallDecision>();
  for (const d of decisions) {
    const key = permissionKey(d);
    if (!first.has(key)) first.set(key, d);
  }
  let decided = 0;
  for (const granted of [true, false]) {
    const keys = [...first.values()].filter((d) => d.granted === granted);
    if (keys.length === 0) continue;
    const result = await db
      .updateTable('parked_calls')
      .set(
        granted
          ? { state: 'ready', next_attempt_at: at, updated_at: at }
          : { state: 'denied', finished_at: at, updated_at: at, next_attempt_at: at },
      )
      .where('state', '=', 'waiting')
      .where((eb) =>
        eb.or(
          keys.map((k) =>
            eb.and([eb('member_id', '=', k.memberId), eb('token_hash', '=', k.tokenHash), eb('method', '=', k.method)]),
          ),
        ),
      )
      .executeTakeFirst();
    decided += Number(result.numUpdatedRows);
  }
  return decided;
}

/** Calls due now that no worker holds (or whose holder's lease ran out). */
function dueAndFree(db: Db, now: string) {
  return db
    .selectFrom('parked_calls')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]));
}

/**
 * Takes the lease on the chosen calls and starts an attempt of the phase they are in (`attempts` for the replay,
 * `continuation_attempts` for the continuation: each counts the attempts started). The update checks again that
 * each call is free, so two workers never hold one call.
 */
async function lease(
  store: Store,
  lease: Lease,
  phase: 'replay' | 'continuation',
  ids: SelectQueryBuilder<Database, 'parked_calls', { id: number }>,
) {
  const rows = await store.db
    .updateTable('parked_calls')
    .set((eb) =>
      phase === 'replay'
        ? { locked_until: lease.until, lease_owner: lease.owner, attempts: eb('attempts', '+', 1) }
        : {
            locked_until: lease.until,
            lease_owner: lease.owner,
            continuation_attempts: eb('continuation_attempts', '+', 1),
          },
    )
    .where('id', 'in', claimable(store, ids))
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', lease.now)]))
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * Leases up to `limit` ready calls of one portal (the one whose call has waited longest), for one batch. Calls whose
 * method the portal blocked (or `batch` itself) are passed over until the block ends: they stay ready, no attempt
 * started (docs/protocol.md#77-limits).
 */
export async function claimReadyCalls(store: Store, claim: Lease, limit: number): Promise<ParkedCallRow[]> {
  const ready = () =>
    dueAndFree(store.db, claim.now)
      .where('state', '=', 'ready')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('method_blocks')
              .select('method_blocks.method')
              .whereRef('method_blocks.member_id', '=', 'parked_calls.member_id')
              .where((b) =>
                b.or([
                  b('method_blocks.method', '=', b.ref('parked_calls.method')),
                  b('method_blocks.method', '=', 'batch'),
                ]),
              )
              .where('method_blocks.blocked_until', '>', claim.now),
          ),
        ),
      );
  const first = await ready().select('member_id').orderBy('id').limit(1).executeTakeFirst();
  if (!first) return [];
  return lease(
    store,
    claim,
    'replay',
    ready().select('id').where('member_id', '=', first.member_id).orderBy('id').limit(limit),
  );
}

/** Leases up to `limit` finished calls whose continuation has not run yet (or is due again). */
export function claimContinuations(store: Store, claim: Lease, limit: number): Promise<ParkedCallRow[]> {
  const finished = dueAndFree(store.db, claim.now)
    .where('state', 'in', ['done', 'denied', 'failed'])
    .where('continuation_status', '=', 'pending');
  return lease(store, claim, 'continuation', finished.select('id').orderBy('id').limit(limit));
}

/** Writes what a worker learnt about a call it holds, and releases it; false (nothing written) when `owner` lost it. */
export async function settleParkedCall(
  db: Db,
  id: number,
  owner: string,
  changes: Updateable<ParkedCallsTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('parked_calls')
    .set({ ...changes, locked_until: null, lease_owner: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** What the portal answered about the method for the token a replay went out with. */
export interface ReplayConfirmation {
  key: PermissionKey;
  tokenExpiresAt: string | null;
  at: string;
}

/**
 * The replay met METHOD_CONFIRM_WAITING: it went out with a newer token than the one granted, so the call waits
 * again under that token (a new prompt to the administrator), in one transaction with the ledger. Nothing is
 * written when `owner` lost the call.
 */
export function parkAgain(db: Kysely<Database>, id: number, owner: string, c: ReplayConfirmation): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const kept = await settleParkedCall(trx, id, owner, {
      state: 'waiting',
      token_hash: c.key.tokenHash,
      updated_at: c.at,
      next_attempt_at: c.at,
    });
    if (kept)
      await recordWaiting(trx, { ...c.key, requestedAt: c.at, tokenExpiresAt: c.tokenExpiresAt, callStartedAt: c.at });
    return kept;
  });
}

/** The replay met METHOD_CONFIRM_DENIED: the call ends denied and the ledger records the refusal, together. */
export function endDenied(db: Kysely<Database>, id: number, owner: string, c: ReplayConfirmation): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const kept = await settleParkedCall(trx, id, owner, {
      state: 'denied',
      token_hash: c.key.tokenHash,
      finished_at: c.at,
      updated_at: c.at,
      next_attempt_at: c.at,
    });
    if (kept) await recordRefusal(trx, { ...c.key, tokenExpiresAt: c.tokenExpiresAt, at: c.at });
    return kept;
  });
}

export interface ParkedCallQuery {
  memberId?: string | undefined;
  state?: ParkedCallState | undefined;
  limit?: number | undefined;
}

export function listParkedCalls(db: Db, query: ParkedCallQuery = {}): Promise<ParkedCallRow[]> {
  let q = db
    .selectFrom('parked_calls')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.limit ?? 100);
  if (query.memberId) q = q.where('member_id', '=', query.memberId);
  if (query.state) q = q.where('state', '=', query.state);
  return q.execute();
}

export function getParkedCall(db: Db, id: number): Promise<ParkedCallRow | undefined> {
  return db.selectFrom('parked_calls').selectAll().where('id', '=', id).executeTakeFirst();
}
