/**
 * The refresh lease on an installation's tokens. A refresh token works once, so whoever spends it (the keep-alive
 * task, or a call whose access token expired) first takes the lease (`locked_until`, `lease_owner`); every write
 * after it names the owner and the refresh token it spent, so a holder whose lease ran out, or whose pair an install
 * replaced meanwhile, changes nothing. On PostgreSQL the claiming update locks the row (FOR UPDATE SKIP LOCKED for
 * the keep-alive's claim), so two instances never hold one installation's lease.
 */
import type { ExpressionBuilder } from 'kysely';
import { claimable, type Lease } from './lease.js';
import type { Database, Db, Installation, Store } from './schema.js';

/** No one holds the lease, or its holder's time ran out. */
const free = (now: string) => (eb: ExpressionBuilder<Database, 'installations'>) =>
  eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]);

/** What lets an installation's tokens be refreshed: active, with a refresh token. */
const refreshable = (eb: ExpressionBuilder<Database, 'installations'>) =>
  eb.and([eb('status', '=', 'active'), eb('refresh_token', 'is not', null)]);

/**
 * Leases up to `limit` active installations whose tokens came from the OAuth server at or before `olderThan` (and
 * whose last failed attempt asked to wait until no later than `now`), oldest tokens first; each claim starts an
 * attempt. Times other than the lease's are the keep-alive's clock.
 */
export async function claimAgedTokens(
  store: Store,
  lease: Lease,
  due: { olderThan: string; now: string },
  limit: number,
): Promise<Installation[]> {
  const aged = (eb: ExpressionBuilder<Database, 'installations'>) =>
    eb.and([
      refreshable(eb),
      eb.or([eb('tokens_refreshed_at', 'is', null), eb('tokens_refreshed_at', '<=', due.olderThan)]),
      eb.or([eb('refresh_retry_at', 'is', null), eb('refresh_retry_at', '<=', due.now)]),
      free(lease.now)(eb),
    ]);
  const ids = claimable(
    store,
    store.db.selectFrom('installations').select('member_id').where(aged).orderBy('tokens_refreshed_at').limit(limit),
  );
  return store.db
    .updateTable('installations')
    .set((eb) => ({
      locked_until: lease.until,
      lease_owner: lease.owner,
      refresh_attempts: eb('refresh_attempts', '+', 1),
    }))
    .where('member_id', 'in', ids)
    .where(aged)
    .returningAll()
    .execute();
}

/** Takes the lease on one installation's refresh token; its row, or undefined while another holds it. */
export function leaseRefresh(db: Db, memberId: string, lease: Lease): Promise<Installation | undefined> {
  return db
    .updateTable('installations')
    .set({ locked_until: lease.until, lease_owner: lease.owner })
    .where('member_id', '=', memberId)
    .where(free(lease.now))
    .returningAll()
    .executeTakeFirst();
}

export interface FreshPair {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  /** Now, for updated_at. */
  at: string;
  /** When the pair was asked for, by the keep-alive's clock: its age counts from here. */
  refreshedAt: string;
}

const released = { locked_until: null, lease_owner: null } as const;

/**
 * Stores the pair a refresh of `spent` answered and releases the lease; false (nothing written) when `owner` lost the
 * lease or `spent` is no longer the stored token (an install brought another pair meanwhile).
 */
export async function storeRefreshedPair(
  db: Db,
  memberId: string,
  owner: string,
  spent: string,
  fresh: FreshPair,
): Promise<boolean> {
  const result = await db
    .updateTable('installations')
    .set({
      access_token: fresh.accessToken,
      refresh_token: fresh.refreshToken,
      access_expires_at: fresh.expiresAt,
      updated_at: fresh.at,
      tokens_refreshed_at: fresh.refreshedAt,
      refresh_attempts: 0,
      refresh_retry_at: null,
      refresh_error: null,
      ...released,
    })
    .where('member_id', '=', memberId)
    .where('lease_owner', '=', owner)
    .where('refresh_token', '=', spent)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * The OAuth server refused `spent` for good: the installation needs reinstalling. Fenced like `storeRefreshedPair`,
 * so a refusal of a token an install has replaced meanwhile changes nothing.
 */
export async function markNeedsReinstall(
  db: Db,
  memberId: string,
  owner: string,
  spent: string,
  why: { error: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('installations')
    .set({
      status: 'needs_reinstall',
      refresh_error: why.error,
      refresh_retry_at: null,
      updated_at: why.at,
      ...released,
    })
    .where('member_id', '=', memberId)
    .where('lease_owner', '=', owner)
    .where('refresh_token', '=', spent)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Releases the lease, recording a failed attempt when `failure` is given; false when `owner` lost the lease. */
export async function releaseRefresh(
  db: Db,
  memberId: string,
  owner: string,
  failure?: { error: string; retryAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('installations')
    .set(failure ? { refresh_error: failure.error, refresh_retry_at: failure.retryAt, ...released } : released)
    .where('member_id', '=', memberId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
