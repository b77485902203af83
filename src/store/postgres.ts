/**
 * PostgreSQL, for several instances sharing the load: the same schema and queries as SQLite through Kysely.
 * Claims lock their rows with FOR UPDATE SKIP LOCKED, so instances take different work; each instance's workers
 * poll, so work stored by one instance is picked up by another within `pollMs`.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Database, Store } from './schema.js';

const INT8 = 20;

export function postgresStore(connectionString: string, options: { max?: number } = {}): Store {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    // Ids are bigserial; as numbers they compare and print like SQLite's.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) },
  });
  // An idle connection can be cut by the server (restart, failover); the pool replaces it, so this is no crash.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let migrated: Promise<void> | undefined;
  return {
    db,
    dialect: 'postgres',
    migrate: () => (migrated ??= migrateToLatest(db as Kysely<unknown>, 'postgres')),
    close: () => db.destroy(),
  };
}

export type { Store } from './schema.js';
