/**
 * A failed parked call sent back to be replayed, by hand (the dashboard's "retry", `b24-events calls retry`). Kept
 * apart from parked-calls.ts, whose queries belong to the runner: this is the one write a person makes.
 */
import type { Db } from './schema.js';

/**
 * Makes a failed call ready again, its attempts counted from zero and its continuation due to run once more with the
 * new outcome. A call a worker holds right now, or in any other state, is left alone: answers false.
 */
export async function retryFailedCall(db: Db, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('parked_calls')
    .set({
      state: 'ready',
      attempts: 0,
      next_attempt_at: now,
      updated_at: now,
      finished_at: null,
      error: null,
      result: null,
      continuation_status: 'pending',
      continuation_attempts: 0,
      continuation_error: null,
    })
    .where('id', '=', id)
    .where('state', '=', 'failed')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Ids of every failed call (optionally of one portal), oldest first. */
export async function failedCallIds(db: Db, memberId?: string): Promise<number[]> {
  let q = db.selectFrom('parked_calls').select('id').where('state', '=', 'failed').orderBy('id');
  if (memberId) q = q.where('member_id', '=', memberId);
  return (await q.execute()).map((r) => Number(r.id));
}
