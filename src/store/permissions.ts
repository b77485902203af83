/** The permission ledger: the administrator's decision per (portal, access token, method). */
import type { Db, PermissionRow } from './schema.js';

export interface PermissionKey {
  memberId: string;
  tokenHash: string;
  method: string;
}

/** The ledger's key as one string: to group a batch's decisions, and to order the rows they lock. */
export const permissionKey = (k: PermissionKey): string => `${k.memberId}\u0000${k.tokenHash}\u0000${k.method}`;

export interface Decision extends PermissionKey {
  granted: boolean;
  languageId: string | null;
  decidedAt: string;
  receivedAt: string;
}

/**
 * Records decisions as if one after another, in the order given: for each key the latest decision (by `decidedAt`;
 * of equal ones, the later given) replaces the stored one, unless the stored one was taken later (a late delivery).
 * One statement for them all.
 */
export async function recordDecisions(db: Db, decisions: Decision[]): Promise<void> {
  const latest = new Map<string, Decision>();
  for (const d of decisions) {
    const key = permissionKey(d);
    const kept = latest.get(key);
    if (!kept || kept.decidedAt <= d.decidedAt) latest.set(key, d);
  }
  if (latest.size === 0) return;
  // In key order: two instances recording overlapping decisions lock the rows in the same order.
  const rows = [...latest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, d]) => ({
      member_id: d.memberId,
      token_hash: d.tokenHash,
      method: d.method,
      state: d.granted ? ('granted' as const) : ('denied' as const),
      language_id: d.languageId,
      decided_at: d.decidedAt,
      received_at: d.receivedAt,
    }));
  await db
    .insertInto('permissions')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['member_id', 'token_hash', 'method'])
        .doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          language_id: eb.ref('excluded.language_id'),
          decided_at: eb.ref('excluded.decided_at'),
          received_at: eb.ref('excluded.received_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('permissions.decided_at', 'is', null),
            eb('permissions.decided_at', '<=', eb.ref('excluded.decided_at')),
          ]),
        ),
    )
    .execute();
}

export function listPermissions(db: Db, memberId?: string): Promise<PermissionRow[]> {
  let q = db.selectFrom('permissions').selectAll().orderBy('member_id').orderBy('method').orderBy('decided_at');
  if (memberId) q = q.where('member_id', '=', memberId);
  return q.execute();
}

const byKey = (db: Db, key: PermissionKey) =>
  db
    .selectFrom('permissions')
    .selectAll()
    .where('member_id', '=', key.memberId)
    .where('token_hash', '=', key.tokenHash)
    .where('method', '=', key.method);

export function getPermission(db: Db, key: PermissionKey): Promise<PermissionRow | undefined> {
  return byKey(db, key).executeTakeFirst();
}

/**
 * The portal answered METHOD_CONFIRM_WAITING. A decision that arrived while the call was on its way is newer than
 * this answer and stays; an older one was forgotten by the portal (its cache can be evicted), so the token waits again.
 */
export async function recordWaiting(
  db: Db,
  w: PermissionKey & { requestedAt: string; tokenExpiresAt: string | null; callStartedAt: string },
): Promise<PermissionRow> {
  const existing = await getPermission(db, w);
  if (!existing) {
    await db
      .insertInto('permissions')
      .values({
        member_id: w.memberId,
        token_hash: w.tokenHash,
        method: w.method,
        state: 'waiting',
        language_id: null,
        decided_at: null,
        received_at: null,
        requested_at: w.requestedAt,
        token_expires_at: w.tokenExpiresAt,
      })
      // Calls made at once on PostgreSQL race to insert the row: the first one's waiting row serves them all.
      .onConflict((oc) => oc.columns(['member_id', 'token_hash', 'method']).doNothing())
      .execute();
  } else if (existing.state === 'waiting' || !existing.received_at || existing.received_at < w.callStartedAt) {
    await db
      .updateTable('permissions')
      .set({
        state: 'waiting',
        decided_at: null,
        received_at: null,
        requested_at: existing.state === 'waiting' ? (existing.requested_at ?? w.requestedAt) : w.requestedAt,
        token_expires_at: w.tokenExpiresAt,
      })
      .where('member_id', '=', w.memberId)
      .where('token_hash', '=', w.tokenHash)
      .where('method', '=', w.method)
      .execute();
  }
  return (await getPermission(db, w))!;
}

/** The portal answered METHOD_CONFIRM_DENIED: the administrator refused this token the method. */
export async function recordRefusal(
  db: Db,
  r: PermissionKey & { tokenExpiresAt: string | null; at: string },
): Promise<PermissionRow> {
  await db
    .insertInto('permissions')
    .values({
      member_id: r.memberId,
      token_hash: r.tokenHash,
      method: r.method,
      state: 'denied',
      language_id: null,
      decided_at: null,
      received_at: r.at,
      requested_at: null,
      token_expires_at: r.tokenExpiresAt,
    })
    .onConflict((oc) =>
      oc
        .columns(['member_id', 'token_hash', 'method'])
        .doUpdateSet({ state: 'denied', token_expires_at: r.tokenExpiresAt }),
    )
    .execute();
  return (await getPermission(db, r))!;
}
