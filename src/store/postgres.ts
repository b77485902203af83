/**
 * PostgreSQL, for several instances sharing the load: the same schema and queries as SQLite through Kysely.
 * Claims lock their rows with FOR UPDATE SKIP LOCKED, so instances take different work. New work is announced with
 * NOTIFY inside the transaction that stores it (delivered only if it commits); every instance LISTENs and wakes its
 * workers, and polls as well, in case a notification is missed while its listening connection is down.
 * The pg driver is imported on first use (see driver.ts).
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { importDriver } from './driver.js';
import { migrateToLatest } from './migrations.js';
import { sharedBuckets } from './rate-buckets.js';
import type { Database, Store } from './schema.js';

const INT8 = 20;
const CHANNEL = 'b24_events_work';

const loadPg = async (): Promise<typeof pg> => (await importDriver<typeof pg>('pg', 'the PostgreSQL store')).default;

export function postgresStore(connectionString: string, options: { max?: number } = {}): Store {
  const createPool = async (): Promise<pg.Pool> => {
    const pg = await loadPg();
    const pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      // A server that does not answer fails the request (503) instead of holding it until the client gives up.
      connectionTimeoutMillis: 5_000,
      // Ids are bigserial; as numbers they compare and print like SQLite's.
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
      },
    });
    // An idle connection can be cut by the server (restart, failover); the pool replaces it, so this is no crash.
    pool.on('error', () => {});
    // A connection cut while it runs a query emits 'error' on its client as well as failing the query; with no listener
    // that event would crash the process. The query's own rejection is what callers handle.
    pool.on('connect', (client) => client.on('error', () => {}));
    return pool;
  };
  // Kysely creates the pool on the first query (and again after a failed first attempt).
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool }) });
  let migrated: Promise<void> | undefined;
  let listener: pg.Client | undefined;
  let closing = false;
  /** LISTEN on a connection of its own; when that connection drops, listen again after a pause (polling covers the gap). */
  async function listen(wake: (tasks?: readonly string[]) => void): Promise<void> {
    const pg = await loadPg();
    if (closing) return;
    const client = new pg.Client({ connectionString, application_name: 'b24-events listener' });
    listener = client;
    let lost = false;
    const again = () => {
      if (lost || closing) return;
      lost = true;
      setTimeout(() => void listen(wake).catch(() => {}), 1000).unref();
    };
    client.on('error', again);
    client.on('end', again);
    client.on('notification', ({ payload }) => wake(payload ? payload.split(',') : undefined));
    return client
      .connect()
      .then(() => client.query(`listen ${CHANNEL}`))
      .then(() => wake()) // anything announced while no connection listened
      .catch((error: unknown) => {
        again();
        throw error;
      });
  }
  return {
    db,
    dialect: 'postgres',
    migrate: () =>
      (migrated ??= migrateToLatest(db as Kysely<unknown>, 'postgres').catch((error: unknown) => {
        migrated = undefined; // the database was away: try again on the next call
        throw error;
      })),
    announceWork: async (trx, tasks) => {
      await sql`select pg_notify(${CHANNEL}, ${tasks.join(',')})`.execute(trx);
    },
    reserveRequest: sharedBuckets(db),
    onWork: (wake) => listen(wake),
    async close() {
      closing = true;
      await listener?.end().catch(() => {});
      await db.destroy();
    },
  };
}

export type { Store } from './schema.js';
