/** The inbox: every verified event, stored before it is answered, with the state of its handlers' runs. */
import { sql, type ExpressionBuilder, type Insertable, type SqlBool } from 'kysely';
import { claimable, type Lease } from './lease.js';
import type { Database, Db, InboxRow, InboxStatus, InboxTable, Store } from './schema.js';

/** The predicate of the partial unique index `inbox_mergeable`: an event whose handlers have not started yet. */
const notStarted = sql<SqlBool>`status = 'pending' and attempts = 0`;

/**
 * Stores the event, or joins it to an identical one whose handlers have not started (one run will then see the
 * state after both); answers the id and whether a new entry was made. Identical to an event already handled, it
 * is a new entry: Bitrix24 sends no delivery id and never retries (docs/protocol.md#71-identical-bodies-can-be-two-events).
 */
export async function insertInboxEvent(
  db: Db,
  row: Insertable<InboxTable>,
): Promise<{ id: number; inserted: boolean }> {
  // Two rounds: the event we would join can be claimed by a worker between the insert and the look-up.
  for (let round = 0; ; round++) {
    const inserted = await db
      .insertInto('inbox')
      .values(row)
      .onConflict((oc) => oc.column('body_hash').where(notStarted).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: Number(inserted.id), inserted: true };
    const existing = await findUnstartedByBody(db, row.body_hash);
    if (existing) return { id: existing.id, inserted: false };
    if (round > 0) throw new Error('inbox: could neither store nor join an event with this body');
  }
}

/** Rows in one INSERT statement (each a handful of parameters; both engines allow far more). */
const ROWS_PER_INSERT = 64;

/**
 * `insertInboxEvent` for many events in a few statements (a group commit): the answers in the order of `rows`. Rows
 * are written in body-hash order, so that two instances inserting the same bodies wait for each other in the same
 * order, never in a cycle.
 */
export async function insertInboxEvents(
  db: Db,
  rows: Insertable<InboxTable>[],
): Promise<{ id: number; inserted: boolean }[]> {
  const hashOf = (i: number) => rows[i]!.body_hash;
  const order = rows.map((_, i) => i).sort((a, b) => (hashOf(a) < hashOf(b) ? -1 : hashOf(a) > hashOf(b) ? 1 : 0));
  const inserted = new Map<string, number>();
  for (let at = 0; at < order.length; at += ROWS_PER_INSERT) {
    const chunk = order.slice(at, at + ROWS_PER_INSERT).map((i) => rows[i]!);
    const stored = await db
      .insertInto('inbox')
      .values(chunk)
      .onConflict((oc) => oc.column('body_hash').where(notStarted).doNothing())
      .returning(['id', 'body_hash'])
      .execute();
    for (const row of stored) inserted.set(row.body_hash, Number(row.id));
  }
  const answers: { id: number; inserted: boolean }[] = [];
  const taken = new Set<string>();
  for (const row of rows) {
    const id = inserted.get(row.body_hash);
    // Not written: it joins an identical event stored before (looked up, or stored after all if that one was claimed).
    if (id === undefined) answers.push(await insertInboxEvent(db, row));
    // The first of identical bodies in the batch is the new entry; the others join it.
    else if (taken.has(row.body_hash)) answers.push({ id, inserted: false });
    else {
      taken.add(row.body_hash);
      answers.push({ id, inserted: true });
    }
  }
  return answers;
}

/**
 * Still due when the claiming update reaches the row (pending and due, or held under a lease that ran out), as one
 * expression no index can serve: the update then goes by the ids the claim picked, and does not scan every due event.
 */
const stillDue = (now: string) => (eb: ExpressionBuilder<Database, 'inbox'>) =>
  eb
    .case()
    .when('status', '=', 'pending')
    .then(eb('next_attempt_at', '<=', now))
    .when('status', '=', 'processing')
    .then(eb('locked_until', '<', now))
    .else(sql.lit(false))
    .end();

/**
 * Leases up to `limit` due events, oldest first: pending ones that are due, and ones held by a worker whose lease ran
 * out (it died, or lost its connection). A claim starts an attempt: `attempts` counts the runs started, so a run cut
 * short by a crash still counts. Each kind is read oldest first along the inbox_claim index, so a claim reads about
 * `limit` rows however many events wait. The update checks again that each row is due, so two claimers never both
 * take one event.
 */
export async function claimDueEvents(store: Store, lease: Lease, limit: number): Promise<InboxRow[]> {
  const oldest = (status: InboxStatus, column: 'next_attempt_at' | 'locked_until', op: '<=' | '<') =>
    store.db
      .selectFrom(
        claimable(
          store,
          store.db
            .selectFrom('inbox')
            .select('id')
            .where('status', '=', status)
            .where(column, op, lease.now)
            .orderBy('id')
            .limit(limit),
        ).as(status),
      )
      .select('id');
  const ids = oldest('pending', 'next_attempt_at', '<=')
    .unionAll(oldest('processing', 'locked_until', '<'))
    .orderBy('id')
    .limit(limit);
  const rows = await store.db
    .updateTable('inbox')
    .set((eb) => ({
      status: 'processing',
      locked_until: lease.until,
      lease_owner: lease.owner,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', ids)
    .where(stillDue(lease.now))
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

export type InboxOutcome =
  | { status: 'done' | 'failed'; error?: string; at: string }
  | { status: 'pending'; error: string; retryAt: string };

/** Writes how a run ended and releases the event; false (and nothing written) when `owner` no longer holds it. */
export async function finishInboxEvent(db: Db, id: number, owner: string, outcome: InboxOutcome): Promise<boolean> {
  const result = await db
    .updateTable('inbox')
    .set(
      outcome.status === 'pending'
        ? {
            status: 'pending',
            last_error: outcome.error,
            next_attempt_at: outcome.retryAt,
            locked_until: null,
            lease_owner: null,
          }
        : {
            status: outcome.status,
            last_error: outcome.error ?? null,
            finished_at: outcome.at,
            locked_until: null,
            lease_owner: null,
          },
    )
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Puts a finished or failed event back in line, its attempts counted from zero. */
export async function requeueInboxEvent(db: Db, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('inbox')
    .set({
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      locked_until: null,
      lease_owner: null,
      finished_at: null,
    })
    .where('id', '=', id)
    .where('status', 'in', ['done', 'failed'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface InboxQuery {
  event?: string | undefined;
  memberId?: string | undefined;
  status?: InboxStatus | undefined;
  limit?: number | undefined;
}

export function listInboxEvents(db: Db, query: InboxQuery = {}): Promise<InboxRow[]> {
  let q = db
    .selectFrom('inbox')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.limit ?? 50);
  if (query.event) q = q.where('event', '=', query.event.toUpperCase());
  if (query.memberId) q = q.where('member_id', '=', query.memberId);
  if (query.status) q = q.where('status', '=', query.status);
  return q.execute();
}

export function getInboxEvent(db: Db, id: number): Promise<InboxRow | undefined> {
  return db.selectFrom('inbox').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The event with this body whose handlers have not started, if any: a new identical delivery joins it. */
export async function findUnstartedByBody(db: Db, bodyHash: string): Promise<{ id: number } | undefined> {
  const row = await db
    .selectFrom('inbox')
    .select('id')
    .where('body_hash', '=', bodyHash)
    .where(notStarted)
    .executeTakeFirst();
  return row && { id: Number(row.id) };
}

/** Whether this exact body was stored before (in any state): a byte-identical repeat of a lifecycle event. */
export async function bodySeenBefore(db: Db, bodyHash: string): Promise<boolean> {
  return (
    (await db.selectFrom('inbox').select('id').where('body_hash', '=', bodyHash).limit(1).executeTakeFirst()) !==
    undefined
  );
}
