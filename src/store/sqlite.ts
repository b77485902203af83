/** The embedded default: one SQLite file, WAL journal, every commit synced to disk before it returns. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrateToLatest } from './migrations.js';
import type { Database, Store } from './schema.js';

export function sqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new SQLite(path);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  let migrated: Promise<void> | undefined;
  return {
    db,
    dialect: 'sqlite',
    migrate: () => (migrated ??= migrateToLatest(db as Kysely<unknown>, 'sqlite')),
    announceWork: async () => {},
    onWork: async () => {},
    close: () => db.destroy(),
  };
}

export type { Store } from './schema.js';
