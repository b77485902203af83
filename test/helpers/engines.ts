/**
 * One test body on both engines: a test app on a fresh SQLite file, and on a fresh PostgreSQL database (skipped with
 * the reason where no server answers, unless REQUIRE_POSTGRES=1). Also the row counts a refusal must not change.
 */
import { sql } from 'kysely';
import type { AppOptions } from '../../src/index.js';
import { postgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/schema.js';
import { createTestApp, type TestApp } from './app.js';
import { freshDatabase, postgresUnavailable } from './postgres.js';

export interface Engine {
  name: 'SQLite' | 'PostgreSQL';
  /** Why this engine's tests are skipped here, or false. */
  skip: string | false;
  open(options?: AppOptions): Promise<TestApp>;
}

export async function engines(): Promise<Engine[]> {
  const unavailable = await postgresUnavailable();
  return [
    { name: 'SQLite', skip: false, open: async (options) => createTestApp(options) },
    {
      name: 'PostgreSQL',
      skip: unavailable ?? false,
      open: async (options) => {
        const database = await freshDatabase();
        const t = createTestApp({ store: postgresStore(database.url), ...options });
        const close = t.close;
        return { ...t, close: () => close().then(() => database.drop()) };
      },
    },
  ];
}

export const TABLES = ['inbox', 'installations', 'permissions', 'parked_calls'] as const;

/** Rows per table: what a refused request must leave as it was. */
export async function rowCounts(store: Store): Promise<Record<(typeof TABLES)[number], number>> {
  const counts = await Promise.all(
    TABLES.map(async (table) => {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(
        store.db,
      );
      return [table, Number(rows[0]?.n)] as const;
    }),
  );
  return Object.fromEntries(counts) as Record<(typeof TABLES)[number], number>;
}
