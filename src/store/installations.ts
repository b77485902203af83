/** Installations: one row per portal (member_id) with its endpoints, tokens and status. */
import type { Insertable, Updateable } from 'kysely';
import type { RateLimit } from '../protocol/leaky-bucket.js';
import type { Db, Installation, InstallationsTable } from './schema.js';

export function getInstallation(db: Db, memberId: string): Promise<Installation | undefined> {
  return db.selectFrom('installations').selectAll().where('member_id', '=', memberId).executeTakeFirst();
}

/** Moves whenever an installation's application_token or status changes, whoever changes it (migration 008_perf). */
export async function installationsVersion(db: Db): Promise<number> {
  const row = await db.selectFrom('installations_version').select('version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.version ?? 0);
}

export function listInstallations(db: Db): Promise<Installation[]> {
  return db.selectFrom('installations').selectAll().orderBy('installed_at').orderBy('member_id').execute();
}

export async function saveInstallation(db: Db, row: Insertable<InstallationsTable>): Promise<void> {
  const { member_id: _key, installed_at: _first, ...changes } = row;
  await db
    .insertInto('installations')
    .values(row)
    .onConflict((oc) => oc.column('member_id').doUpdateSet(changes))
    .execute();
}

/** The secret values stored for a portal, to cut out of error texts (empty when there is no installation). */
export async function installationSecrets(db: Db, memberId: string): Promise<string[]> {
  const row = await db
    .selectFrom('installations')
    .select(['application_token', 'access_token', 'refresh_token'])
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  return [row?.application_token, row?.access_token, row?.refresh_token].filter(
    (v): v is string => typeof v === 'string',
  );
}

export async function updateInstallation(
  db: Db,
  memberId: string,
  changes: Updateable<InstallationsTable>,
): Promise<void> {
  await db.updateTable('installations').set(changes).where('member_id', '=', memberId).execute();
}

/** The portal's own request limit (its plan), or undefined: the app's default. */
export const rateLimitOf = (row: Installation): RateLimit | undefined =>
  row.rate_per_second !== null && row.rate_burst !== null
    ? { perSecond: row.rate_per_second, burst: row.rate_burst }
    : undefined;

/** Sets (or with null clears) the portal's own request limit; false when no installation has that member_id. */
export async function setRateLimit(db: Db, memberId: string, limit: RateLimit | null): Promise<boolean> {
  const result = await db
    .updateTable('installations')
    .set({ rate_per_second: limit?.perSecond ?? null, rate_burst: limit?.burst ?? null })
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
