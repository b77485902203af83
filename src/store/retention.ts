/**
 * What retention deletes, in small batches on either engine: inbox events whose handlers finished (`done`) and
 * parked calls that ended (`done` or `denied`) with their continuation run or skipped, last changed before the
 * cutoff. Failed ones stay until replayed or purged by hand (`includeFailed`); nothing pending, waiting or running
 * is ever touched.
 */
import type { ExpressionBuilder } from 'kysely';
import type { Database, Db } from './schema.js';

export interface PruneScope {
  /** ISO time: rows last changed before it may go. */
  before: string;
  /** Failed events and calls too (by hand only). */
  includeFailed?: boolean;
}

export interface PruneCounts {
  events: number;
  calls: number;
}

const finishedEvents = (scope: PruneScope) => (eb: ExpressionBuilder<Database, 'inbox'>) =>
  eb.and([
    eb('status', 'in', scope.includeFailed ? ['done', 'failed'] : ['done']),
    eb('finished_at', '<', scope.before),
  ]);

const endedCalls = (scope: PruneScope) => (eb: ExpressionBuilder<Database, 'parked_calls'>) => {
  const ended = eb.and([eb('state', 'in', ['done', 'denied']), eb('continuation_status', 'in', ['done', 'skipped'])]);
  const failed = eb.or([
    eb('state', '=', 'failed'),
    eb.and([eb('state', 'in', ['done', 'denied']), eb('continuation_status', '=', 'failed')]),
  ]);
  return eb.and([scope.includeFailed ? eb.or([ended, failed]) : ended, eb('updated_at', '<', scope.before)]);
};

/** How many rows `pruneBatch` calls would delete in all (the dry run). */
export async function countPrunable(db: Db, scope: PruneScope): Promise<PruneCounts> {
  const [events, calls] = await Promise.all([
    db
      .selectFrom('inbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(finishedEvents(scope))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('parked_calls')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(endedCalls(scope))
      .executeTakeFirstOrThrow(),
  ]);
  return { events: Number(events.n), calls: Number(calls.n) };
}

/** Deletes up to `size` prunable events and up to `size` prunable calls; how many of each went. */
export async function pruneBatch(db: Db, scope: PruneScope, size: number): Promise<PruneCounts> {
  const events = await db
    .deleteFrom('inbox')
    .where('id', 'in', db.selectFrom('inbox').select('id').where(finishedEvents(scope)).limit(size))
    .executeTakeFirst();
  const calls = await db
    .deleteFrom('parked_calls')
    .where('id', 'in', db.selectFrom('parked_calls').select('id').where(endedCalls(scope)).limit(size))
    .executeTakeFirst();
  return { events: Number(events.numDeletedRows), calls: Number(calls.numDeletedRows) };
}
