/** Stores to benchmark on: a SQLite file in a temporary folder, or a fresh PostgreSQL database, with portals installed. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerInstallation } from '../src/core/installations.js';
import { openStore } from '../src/store/open.js';
import { freshDatabase, postgresUnavailable } from '../test/helpers/postgres.js';
import type { Portal } from './bodies.js';

export type Engine = 'sqlite' | 'postgres';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function engines(): Promise<Engine[]> {
  const why = await postgresUnavailable();
  if (why) process.stdout.write(`# PostgreSQL figures skipped: ${why}\n`);
  return why ? ['sqlite'] : ['sqlite', 'postgres'];
}

export async function database(engine: Engine, name: string): Promise<BenchDatabase> {
  if (engine === 'postgres') return freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'b24-bench-'));
  return { url: join(dir, `${name}.sqlite`), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Installs the portals (schema first) as `b24-events installations add` does, all in one transaction. */
export async function install(url: string, list: Portal[]): Promise<void> {
  const store = openStore(url);
  try {
    await store.migrate();
    await store.db.transaction().execute(async (trx) => {
      for (const p of list) {
        await registerInstallation(trx, {
          memberId: p.memberId,
          domain: p.domain,
          applicationToken: p.applicationToken,
        });
      }
    });
  } finally {
    await store.close();
  }
}
