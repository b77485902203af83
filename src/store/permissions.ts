/** The permission ledger: the administrator's decision per (portal, access token, method). */
import type { Db, PermissionRow } from './schema.js';

export interface Decision {
  memberId: string;
  tokenHash: string;
  method: string;
  granted: boolean;
  languageId: string | null;
  decidedAt: string;
  receivedAt: string;
}

/** Records a decision; one that was taken earlier than the stored one (a late delivery) does not replace it. */
export async function recordDecision(db: Db, d: Decision): Promise<void> {
  const row = {
    member_id: d.memberId,
    token_hash: d.tokenHash,
    method: d.method,
    state: d.granted ? ('granted' as const) : ('denied' as const),
    language_id: d.languageId,
    decided_at: d.decidedAt,
    received_at: d.receivedAt,
  };
  await db
    .insertInto('permissions')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['member_id', 'token_hash', 'method'])
        .doUpdateSet({
          state: row.state,
          language_id: row.language_id,
          decided_at: row.decided_at,
          received_at: row.received_at,
        })
        .where((eb) =>
          eb.or([eb('permissions.decided_at', 'is', null), eb('permissions.decided_at', '<=', row.decided_at)]),
        ),
    )
    .execute();
}

export function listPermissions(db: Db, memberId?: string): Promise<PermissionRow[]> {
  let q = db.selectFrom('permissions').selectAll().orderBy('member_id').orderBy('method').orderBy('decided_at');
  if (memberId) q = q.where('member_id', '=', memberId);
  return q.execute();
}
