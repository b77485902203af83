/**
 * The embedded default: one SQLite file, WAL journal, every commit synced to disk before it is answered (one group
 * fsync for the commits made meanwhile, off the event loop: sqlite-driver.ts, wal-sync.ts). Several
 * processes may share the file (the server and CLI commands beside it): every connection waits for a lock up to
 * BUSY_TIMEOUT_MS, and every transaction takes the write lock when it begins (BEGIN IMMEDIATE). A transaction that
 * read first and wrote later (`begin` deferred) would fail at once with "database is locked" when another process
 * wrote in between: SQLite cannot wait for that case, it can only refuse the late upgrade.
 *
 * better-sqlite3 is a native module: it is imported when the store is first used, not when this module loads, so
 * `import 'b24-events'` works where native modules cannot load (a Web-standard runtime serving `app.fetch` on
 * another store).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type SQLite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { importDriver } from './driver.js';
import { DurableSqliteDialect, Mutex } from './sqlite-driver.js';
import { WalCheckpoints } from './wal-checkpoint.js';
import { WalSync } from './wal-sync.js';
import { migrateToLatest } from './migrations.js';
import { localBuckets } from './rate-buckets.js';
import type { Database, Store } from './schema.js';

/** How long a statement waits for another connection's lock before it fails (answered 503 by the receiver). */
export const BUSY_TIMEOUT_MS = 10_000;

export function sqliteStore(path: string): Store {
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  let current: SQLite.Database | undefined;
  // The connection's lock, shared by Kysely's driver and the checkpoints' catch-up.
  const connectionLock = new Mutex();
  const checkpoints = memory
    ? undefined
    : new WalCheckpoints(path, connectionLock, () => current?.open && current.pragma('wal_autocheckpoint = 1000'));
  // Kysely opens the connection on the first query (and again after a failed first attempt).
  const open = async (): Promise<SQLite.Database> => {
    const { default: SQLiteDatabase } = await importDriver<typeof SQLite>('better-sqlite3', 'the SQLite store');
    const connection = new SQLiteDatabase(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      connection.pragma('journal_mode = WAL');
      // Commits are written at once and synced by the store's group fsync before they are answered (wal-sync.ts).
      connection.pragma(memory ? 'synchronous = FULL' : 'synchronous = NORMAL');
      connection.pragma('foreign_keys = ON');
      // Checkpoints run in a worker thread, not inside a commit on the event loop (wal-checkpoint.ts).
      if (!memory) connection.pragma('wal_autocheckpoint = 0');
    } catch (error) {
      connection.close(); // Kysely opens another on the next query
      throw error;
    }
    current = connection;
    return connection;
  };
  const db = new Kysely<Database>({
    dialect: new DurableSqliteDialect(
      open,
      memory ? undefined : new WalSync(`${path}-wal`, () => checkpoints?.start()),
      connectionLock,
    ),
  });
  let migrated: Promise<void> | undefined;
  return {
    db,
    dialect: 'sqlite',
    migrate: () =>
      (migrated ??= migrateToLatest(db as Kysely<unknown>, 'sqlite').catch((error: unknown) => {
        migrated = undefined;
        throw error;
      })),
    announceWork: async () => {},
    reserveRequest: localBuckets(),
    onWork: async () => {},
    // The worker's connection first: the last one to close checkpoints the WAL into the file and removes it.
    close: async () => {
      await checkpoints?.close();
      await db.destroy();
    },
  };
}

export type { Store } from './schema.js';
