/** The schema, as ordered migrations that run the same on SQLite and PostgreSQL. */
import { Migrator, sql, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely';
import { createInstallationsVersion } from './installations-version.js';
import type { Dialect } from './schema.js';

function migrations(dialect: Dialect): Record<string, Migration> {
  // Generated ids: SQLite's rowid alias, PostgreSQL's bigserial (read back as numbers; see postgres.ts).
  const idType = dialect === 'postgres' ? 'bigserial' : 'integer';
  const idColumn = (c: ColumnDefinitionBuilder) =>
    dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement();
  return {
    '001_receiver': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('installations')
          .addColumn('member_id', 'text', (c) => c.primaryKey())
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('client_endpoint', 'text')
          .addColumn('server_endpoint', 'text')
          .addColumn('application_token', 'text', (c) => c.notNull())
          .addColumn('access_token', 'text')
          .addColumn('refresh_token', 'text')
          .addColumn('access_expires_at', 'text')
          .addColumn('scope', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('version', 'integer')
          .addColumn('installed_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('uninstalled_at', 'text')
          .execute();

        await db.schema
          .createTable('inbox')
          .addColumn('id', idType, idColumn)
          .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
          .addColumn('member_id', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('ts', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('application_token_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('locked_until', 'text')
          .addColumn('last_error', 'text')
          .addColumn('finished_at', 'text')
          .execute();
        await db.schema.createIndex('inbox_due').on('inbox').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('inbox_member').on('inbox').columns(['member_id', 'id']).execute();

        await db.schema
          .createTable('permissions')
          .addColumn('member_id', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('language_id', 'text')
          .addColumn('decided_at', 'text')
          .addColumn('received_at', 'text')
          .addColumn('requested_at', 'text')
          .addColumn('token_expires_at', 'text')
          .addPrimaryKeyConstraint('permissions_pk', ['member_id', 'token_hash', 'method'])
          .execute();
      },
    },
    '002_parked_calls': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('parked_calls')
          .addColumn('id', idType, idColumn)
          .addColumn('member_id', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('params', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull())
          .addColumn('continuation', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('result', 'text')
          .addColumn('error', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('continuation_status', 'text', (c) => c.notNull())
          .addColumn('continuation_attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('continuation_error', 'text')
          .addColumn('locked_until', 'text')
          .addColumn('lease_owner', 'text')
          .execute();
        await db.schema
          .createIndex('parked_calls_decision')
          .on('parked_calls')
          .columns(['member_id', 'token_hash', 'method', 'state'])
          .execute();
        await db.schema
          .createIndex('parked_calls_due')
          .on('parked_calls')
          .columns(['state', 'next_attempt_at'])
          .execute();
      },
    },
    '003_real_portals': {
      async up(db: Kysely<unknown>) {
        // Identical bodies can be two real events (docs/protocol.md#71-identical-bodies-can-be-two-events): the body hash is no longer unique; it is
        // unique only among events whose handlers have not started, which a new identical delivery joins.
        if (dialect === 'postgres') {
          await db.schema.alterTable('inbox').renameColumn('dedupe_key', 'body_hash').execute();
          await sql`alter table inbox drop constraint if exists inbox_dedupe_key_key`.execute(db);
        } else {
          await rebuildSqliteInbox(db);
        }
        await db.schema.createIndex('inbox_body').on('inbox').column('body_hash').execute();
        await db.schema
          .createIndex('inbox_mergeable')
          .on('inbox')
          .column('body_hash')
          .unique()
          .where(sql.ref('status'), '=', 'pending')
          .where(sql.ref('attempts'), '=', 0)
          .execute();
        // VERSION is a short string ("1.0.0" in the docs); the region's OAuth server is kept per installation.
        await db.schema.alterTable('installations').addColumn('app_version', 'text').execute();
        await sql`update installations set app_version = cast(version as text) where version is not null`.execute(db);
        await db.schema.alterTable('installations').dropColumn('version').execute();
        await db.schema.alterTable('installations').renameColumn('app_version', 'version').execute();
        await db.schema.alterTable('installations').addColumn('oauth_server', 'text').execute();
      },
    },
    '004_inbox_lease_owner': {
      async up(db: Kysely<unknown>) {
        // Inbox write-backs name the lease holder, like parked calls'. Rows claimed before this migration have no
        // owner: no worker can write them back, and they are taken over when their lease runs out.
        await db.schema.alterTable('inbox').addColumn('lease_owner', 'text').execute();
      },
    },
    '005_retention': {
      async up(db: Kysely<unknown>) {
        // Periodic jobs (retention) run on the leased-work runner like any other: one row per job, leased by one
        // instance at a time, due again `next_attempt_at`.
        await db.schema
          .createTable('periodic_jobs')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('locked_until', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('last_run_at', 'text')
          .addColumn('last_result', 'text')
          .addColumn('last_error', 'text')
          .execute();
        // Retention deletes finished rows by age: an index each, so a batch does not scan the table.
        await db.schema.createIndex('inbox_finished').on('inbox').columns(['status', 'finished_at']).execute();
        await db.schema
          .createIndex('parked_calls_finished')
          .on('parked_calls')
          .columns(['state', 'updated_at'])
          .execute();
      },
    },
    '006_token_keepalive': {
      async up(db: Kysely<unknown>) {
        // Refresh tokens live 180 days (docs/protocol.md#78-refresh-tokens-live-180-days): the keep-alive task
        // refreshes installations by the age of their tokens, under a lease per installation.
        for (const column of [
          'tokens_refreshed_at',
          'refresh_retry_at',
          'refresh_error',
          'locked_until',
          'lease_owner',
        ])
          await db.schema.alterTable('installations').addColumn(column, 'text').execute();
        await db.schema
          .alterTable('installations')
          .addColumn('refresh_attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // Every write of a token pair so far also set updated_at (install, update, refresh): the best age we have.
        await sql`update installations set tokens_refreshed_at = updated_at`.execute(db);
        await db.schema
          .createIndex('installations_token_age')
          .on('installations')
          .columns(['status', 'tokens_refreshed_at'])
          .execute();
      },
    },
    '007_rest_limits': {
      async up(db: Kysely<unknown>) {
        // OPERATION_TIME_LIMIT blocks per (portal, method), honoured by every instance (docs/protocol.md#77-limits).
        await db.schema
          .createTable('method_blocks')
          .addColumn('member_id', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('blocked_until', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('method_blocks_pk', ['member_id', 'method'])
          .execute();
        // The portal's leaky bucket shared by instances (PostgreSQL; SQLite keeps it in its one process).
        await db.schema
          .createTable('rate_buckets')
          .addColumn('member_id', 'text', (c) => c.primaryKey())
          .addColumn('level', 'double precision', (c) => c.notNull())
          .addColumn('updated_ms', 'bigint', (c) => c.notNull())
          .execute();
        // A portal's own request limit (its plan); null: the app's rest.rateLimit.
        await db.schema.alterTable('installations').addColumn('rate_per_second', 'double precision').execute();
        await db.schema.alterTable('installations').addColumn('rate_burst', 'integer').execute();
      },
    },
    '009_offline': {
      async up(db: Kysely<unknown>) {
        // Offline-queue reconciliation (docs/protocol.md#8-offline-events): which channel brought an event, the
        // object it is about (to find "this object's last online event"), and the queue record it came from.
        await db.schema
          .alterTable('inbox')
          .addColumn('via', 'text', (c) => c.notNull().defaultTo('online'))
          .execute();
        await db.schema.alterTable('inbox').addColumn('object_key', 'text').execute();
        await db.schema.alterTable('inbox').addColumn('offline_key', 'text').execute();
        await db.schema.createIndex('inbox_object').on('inbox').columns(['member_id', 'object_key', 'ts']).execute();
        await db.schema.createIndex('inbox_offline').on('inbox').column('offline_key').unique().execute();
        await db.schema
          .createTable('offline_sync')
          .addColumn('member_id', 'text', (c) => c.primaryKey())
          .addColumn('mode', 'text')
          .addColumn('auth_connector', 'text')
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('locked_until', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('process_id', 'text')
          .addColumn('batch_state', 'text')
          .addColumn('failed_message_ids', 'text')
          .addColumn('last_reconciled_at', 'text')
          .addColumn('recovered', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('matched', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('backlog', 'integer')
          .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .addColumn('last_error_at', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('offline_sync_due').on('offline_sync').column('next_attempt_at').execute();
      },
    },
    '008_perf': {
      // The receiver's application_token cache is invalidated through this counter (installations-version.ts).
      up: (db: Kysely<unknown>) => createInstallationsVersion(db, dialect),
    },
    '010_inbox_claim': {
      // Claims walk each status's events in id order (claimDueEvents): (status, id) serves that, and every look-up
      // by status that (status, next_attempt_at) served, so that index goes (no more index writes per event).
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('inbox_claim').on('inbox').columns(['status', 'id']).execute();
        await db.schema.dropIndex('inbox_due').execute();
      },
    },
  };
}

/** SQLite cannot drop a UNIQUE constraint: the inbox is copied into a table without it. */
async function rebuildSqliteInbox(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('inbox_next')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('application_token_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await sql`insert into inbox_next (id, body_hash, member_id, event, ts, received_at, payload, application_token_hash, status,
    attempts, next_attempt_at, locked_until, last_error, finished_at)
    select id, dedupe_key, member_id, event, ts, received_at, payload, application_token_hash, status,
    attempts, next_attempt_at, locked_until, last_error, finished_at from inbox`.execute(db);
  await db.schema.dropTable('inbox').execute();
  await db.schema.alterTable('inbox_next').renameTo('inbox').execute();
  await db.schema.createIndex('inbox_due').on('inbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('inbox_member').on('inbox').columns(['member_id', 'id']).execute();
}

/**
 * Whether the database has applied exactly this build's migrations, as it has on every start but the first: one
 * read instead of the migrator's tables, lock and transaction (a dozen statements; 80 ms on PostgreSQL). Anything
 * else (a new database, a missing migration, one this build does not know) goes to the migrator, which decides.
 */
async function upToDate(db: Kysely<unknown>, names: string[]): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from b24_events_migrations`.execute(db);
    const applied = new Set(rows.map((row) => row.name));
    return applied.size === names.length && names.every((name) => applied.has(name));
  } catch {
    return false; // no migrations table yet
  }
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const all = migrations(dialect);
  if (await upToDate(db, Object.keys(all))) return;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => all },
    migrationTableName: 'b24_events_migrations',
    migrationLockTableName: 'b24_events_migrations_lock',
    // Each migration stands alone (adds its own tables, columns and indexes), so one that arrives after a later one
    // (a database made by a development build) still runs, instead of refusing to open the database.
    allowUnorderedMigrations: true,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
