/**
 * Leases on claimed rows (inbox events, parked calls): who holds a row and until when. A claim writes
 * `lease_owner` and `locked_until`; every write-back after it says `where id = ? and lease_owner = ?`, so a worker
 * whose lease ran out and was taken over changes nothing. The engine decides how claims avoid each other, here and
 * nowhere else.
 */
import type { SelectQueryBuilder } from 'kysely';
import type { Store } from './schema.js';

export interface Lease {
  /** The worker that holds the rows (one id per runner, so per process). */
  owner: string;
  /** The claim's clock: rows due at or before it, and leases that ran out before it, may be taken. */
  now: string;
  /** Until when the claimed rows are held; after it another worker may take them over. */
  until: string;
}

export function leaseFor(owner: string, leaseMs: number, now = Date.now()): Lease {
  return { owner, now: new Date(now).toISOString(), until: new Date(now + leaseMs).toISOString() };
}

/**
 * The rows a claim picks. PostgreSQL: FOR UPDATE SKIP LOCKED, so instances pass over rows another one is claiming
 * instead of waiting for them (the claiming update checks the row is still free). SQLite: one writer at a time
 * holds the whole file, so the claiming statement is alone and needs no row locks.
 */
export function claimable<DB, TB extends keyof DB, O>(
  store: Store,
  rows: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return store.dialect === 'postgres' ? rows.forUpdate().skipLocked() : rows;
}
