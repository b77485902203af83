/** Installations: one row per portal (member_id) with its endpoints, tokens and status. */
import type { Insertable, Updateable } from 'kysely';
import type { Db, Installation, InstallationsTable } from './schema.js';

export function getInstallation(db: Db, memberId: string): Promise<Installation | undefined> {
  return db.selectFrom('installations').selectAll().where('member_id', '=', memberId).executeTakeFirst();
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

export async function updateInstallation(
  db: Db,
  memberId: string,
  changes: Updateable<InstallationsTable>,
): Promise<void> {
  await db.updateTable('installations').set(changes).where('member_id', '=', memberId).execute();
}
