import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { insertInboxEvents } from '../../src/store/inbox.js';
import { sqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/app.js';
import { storeContract } from './store-contract.js';

describe(
  'store contract: SQLite',
  storeContract(async () => {
    const dir = tempDir();
    return {
      open: () => sqliteStore(join(dir, 'contract.sqlite')),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }),
);

describe('SQLite write-ahead log', () => {
  it('is checkpointed while the store goes on writing, not inside a commit, and starts again from its beginning', async () => {
    const dir = tempDir();
    const path = join(dir, 'wal.sqlite');
    const store = sqliteStore(path);
    try {
      await store.migrate();
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
      assert.equal(rows[0]?.wal_autocheckpoint, 0, "the store's connection never checkpoints inside a commit");
      const payload = 'x'.repeat(4000);
      const write = (batch: number) =>
        store.db.transaction().execute(async (trx) => {
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
      await write(0);
      // The WAL header's checkpoint sequence number moves each time the WAL starts again from its beginning
      // (https://www.sqlite.org/fileformat.html#wal_file_format): it must, while writes go on without a pause.
      const restarts = () => {
        const header = Buffer.alloc(4);
        const file = openSync(`${path}-wal`, 'r');
        readSync(file, header, 0, 4, 12);
        closeSync(file);
        return header.readUInt32BE(0);
      };
      const before = restarts();
      let batch = 1;
      while (restarts() === before) {
        assert.ok(batch < 400, 'about 80 MiB written without a pause, and the WAL never started again');
        await write(batch++);
      }
      assert.ok(statSync(path).size > 4 * 1024 * 1024, 'pages were copied into the file while it was open');
      await store.close();
      assert.equal(existsSync(`${path}-wal`), false, 'closing the last connection folds the WAL into the file');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
