/** Installations: one row per portal (member_id) with its endpoints, tokens and status. */
import type { Insertable, Updateable } from 'kysely';
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

/** Stores a refreshed pair, only if the refresh token it replaces is still the stored one (a refresh token works once). */
export async function rotateTokens(
  db: Db,
  memberId: string,
  spentRefreshToken: string,
  fresh: { accessToken: string; refreshToken: string; expiresAt: string; at: string },
): Promise<void> {
  await db
    .updateTable('installations')
    .set({
      access_token: fresh.accessToken,
      refresh_token: fresh.refreshToken,
      access_expires_at: fresh.expiresAt,
      updated_at: fresh.at,
    })
    .where('member_id', '=', memberId)
    .where('refresh_token', '=', spentRefreshToken)
    .execute();
}
