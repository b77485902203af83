import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { insertInboxEvents } from '../../src/store/inbox.js';
import { sqliteStore } from '../../src/store/sqlite.js';
import { eventually, tempDir } from '../helpers/app.js';
import { storeContract } from './store-contract.js';

storeContract('SQLite', async () => {
  const dir = tempDir();
  return {
    open: () => sqliteStore(join(dir, 'contract.sqlite')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SQLite write-ahead log', () => {
  it('is checkpointed into the database file while the store stays open, not inside commits', async () => {
    const dir = tempDir();
    const path = join(dir, 'wal.sqlite');
    const store = sqliteStore(path);
    try {
      await store.migrate();
      const payload = 'x'.repeat(2000);
      // About 12 MiB through the WAL: three times the size at which SQLite would checkpoint inside a commit.
      for (let batch = 0; batch < 60; batch++) {
        await store.db.transaction().execute(async (trx) => {
          const at = new Date().toISOString();
          const rows = Array.from({ length: 50 }, (_, i) => ({
            body_hash: `wal-${batch}-${i}`,
            member_id: 'm',
            event: 'ONAPPTEST',
            ts: at,
            received_at: at,
            payload,
            application_token_hash: 'h',
            status: 'pending' as const,
            attempts: 0,
            next_attempt_at: at,
          }));
          await insertInboxEvents(trx, rows);
        });
      }
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
      assert.equal(rows[0]?.wal_autocheckpoint, 0, "the store's connection never checkpoints inside a commit");
      await eventually(() => statSync(path).size > 4 * 1024 * 1024, 10_000);
      const { count } = await store.db
        .selectFrom('inbox')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count), 3000);
      await store.close();
      assert.equal(existsSync(`${path}-wal`), false, 'closing the last connection folds the WAL into the file');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
