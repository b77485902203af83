/**
 * Migration 008_perf: a counter that moves whenever an installation's application_token or status changes, kept by
 * triggers so that every writer moves it (this process, a CLI beside it, another instance, a hand-written UPDATE).
 * The receiver keeps each installation's application_token and status in memory, and each group commit reads the
 * counter in its transaction: a moved counter empties the cache and the commit checks its events again.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './schema.js';

export async function createInstallationsVersion(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('installations_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into installations_version (id, version) values (1, 0)`.execute(db);
  const bump = 'update installations_version set version = version + 1';
  const changed =
    dialect === 'postgres'
      ? 'old.application_token is distinct from new.application_token or old.status is distinct from new.status'
      : 'old.application_token is not new.application_token or old.status is not new.status';
  if (dialect === 'postgres') {
    await sql
      .raw(`create function installations_changed() returns trigger language plpgsql as
        $$ begin ${bump}; return null; end $$`)
      .execute(db);
    await sql
      .raw(`create trigger installations_version_write after insert or delete on installations
        for each row execute function installations_changed()`)
      .execute(db);
    await sql
      .raw(`create trigger installations_version_update after update on installations
        for each row when (${changed}) execute function installations_changed()`)
      .execute(db);
  } else {
    for (const [name, when] of [
      ['insert', 'after insert'],
      ['delete', 'after delete'],
      ['update', `after update of application_token, status`],
    ] as const) {
      const condition = name === 'update' ? `when ${changed}` : '';
      await sql
        .raw(`create trigger installations_version_${name} ${when} on installations ${condition}
          begin ${bump}; end`)
        .execute(db);
    }
  }
}
