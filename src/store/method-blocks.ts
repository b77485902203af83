/**
 * Methods a portal blocked for this app (OPERATION_TIME_LIMIT, docs/protocol.md#77-limits): one row per (portal,
 * method) with the time until which no instance sends it. A block is only ever lengthened: an instance that learns
 * of a shorter one later does not cut another's short.
 */
import { sql } from 'kysely';
import type { Db } from './schema.js';

export interface MethodBlock {
  memberId: string;
  method: string;
  until: string;
  reason: string;
}

export async function blockMethod(db: Db, block: MethodBlock, at: string): Promise<void> {
  await db
    .insertInto('method_blocks')
    .values({
      member_id: block.memberId,
      method: block.method,
      blocked_until: block.until,
      reason: block.reason,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.columns(['member_id', 'method']).doUpdateSet({
        blocked_until: sql<string>`case when excluded.blocked_until > method_blocks.blocked_until then excluded.blocked_until else method_blocks.blocked_until end`,
        reason: sql<string>`case when excluded.blocked_until > method_blocks.blocked_until then excluded.reason else method_blocks.reason end`,
        updated_at: at,
      }),
    )
    .execute();
}

/** The portal's blocks in force at `now`. */
export async function blocksInForce(db: Db, memberId: string, now: string): Promise<MethodBlock[]> {
  const rows = await db
    .selectFrom('method_blocks')
    .select(['member_id', 'method', 'blocked_until', 'reason'])
    .where('member_id', '=', memberId)
    .where('blocked_until', '>', now)
    .execute();
  return rows.map((r) => ({ memberId: r.member_id, method: r.method, until: r.blocked_until, reason: r.reason }));
}
