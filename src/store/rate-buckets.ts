/**
 * The portal's leaky bucket as the client keeps it (docs/protocol.md#77-limits): each request takes a place, the
 * bucket drains at `perSecond`, and a request whose place lies above `burst` waits until it has drained to it.
 * Bitrix24 counts per portal and source address, so instances behind one address must share one bucket:
 *
 * - PostgreSQL: one row per portal; the arithmetic is one statement (drain the level by the time since its last
 *   update, by the database's clock so instances' clocks do not matter, add one, return it) under the row's lock, so
 *   N instances together keep to the portal's rate;
 * - SQLite: one process holds the file, so the bucket lives in that process (protocol/leaky-bucket.ts).
 */
import { sql, type Kysely } from 'kysely';
import { LeakyBucket, type RateLimit } from '../protocol/leaky-bucket.js';
import type { Database } from './schema.js';

/** How long the request that took the place at `level` waits for the bucket to drain to `burst`. */
const waitFor = (level: number, limit: RateLimit) =>
  Math.max(0, Math.ceil(((level - limit.burst) / limit.perSecond) * 1000));

export function sharedBuckets(db: Kysely<Database>) {
  return async (memberId: string, limit: RateLimit, full = false): Promise<number> => {
    const take = full ? 0 : 1;
    const floor = full ? limit.burst : 0;
    const now = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
    const { level } = await db
      .insertInto('rate_buckets')
      .values({ member_id: memberId, level: floor + take, updated_ms: now })
      .onConflict((oc) =>
        oc.column('member_id').doUpdateSet({
          level: sql<number>`greatest(greatest(0, rate_buckets.level - greatest(0, excluded.updated_ms - rate_buckets.updated_ms) / 1000.0 * ${limit.perSecond}), ${floor}) + ${take}`,
          updated_ms: sql<number>`greatest(rate_buckets.updated_ms, excluded.updated_ms)`,
        }),
      )
      .returning('level')
      .executeTakeFirstOrThrow();
    return full ? 0 : waitFor(Number(level), limit);
  };
}

export function localBuckets() {
  const buckets = new Map<string, LeakyBucket>();
  return async (memberId: string, limit: RateLimit, full = false): Promise<number> => {
    const bucket = buckets.get(memberId) ?? new LeakyBucket(limit);
    buckets.set(memberId, bucket);
    bucket.limit = limit; // a plan changed: the level carries over
    if (!full) return bucket.reserve(Date.now());
    bucket.fill(Date.now());
    return 0;
  };
}
