/**
 * A fresh PostgreSQL database per test file, dropped afterwards. The server is the one of PG_URL (default: the
 * local one, user postgres). Where none answers, PostgreSQL tests are skipped, unless REQUIRE_POSTGRES=1 (CI).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FreshDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const REQUIRED = process.env.REQUIRE_POSTGRES === '1';

/**
 * How long to wait for a connection: a missing server refuses at once, but a loaded machine (2 cores, several test
 * runs) can take seconds to accept; where PostgreSQL is required, waiting longer costs nothing.
 */
const CONNECT_TIMEOUT_MS = REQUIRED ? 60_000 : 10_000;

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** One statement as the server's superuser, for tests that take a database away and give it back. */
export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  return admin((c) => c.query(text, values));
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    await admin((c) => c.query('select 1'));
    return undefined;
  } catch (error) {
    const why = `no PostgreSQL at ${ADMIN_URL.replace(/\/\/[^@]*@/, '//')} (${(error as Error).message})`;
    if (REQUIRED) throw new Error(`${why}, but REQUIRE_POSTGRES=1`);
    return why;
  }
}

export async function freshDatabase(): Promise<FreshDatabase> {
  const name = `b24_events_test_${randomBytes(6).toString('hex')}`;
  await admin(async (c) => {
    await c.query(`create database ${name}`);
    // The tests kill the app's processes, never PostgreSQL: its commits need not wait for the disk (what the app
    // promises rests on the commit, which this does not change; only the server's crash would tell the difference).
    await c.query(`alter database ${name} set synchronous_commit = off`);
  });
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
