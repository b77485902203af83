/** /healthz, /health and /readyz: ready while the store answers; 503 with the reason when it is gone, ready again when it is back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { postgresStore } from '../../src/store/postgres.js';
import { createTestApp, eventually } from '../helpers/app.js';
import { adminQuery, freshDatabase, postgresUnavailable } from '../helpers/postgres.js';

const fiveXx = async (server: Awaited<ReturnType<typeof createServer>>) =>
  Number(
    /b24_events_http_5xx_total\{route="\/readyz",status="503"\} (\d+)/.exec(
      (await server.inject({ url: '/metrics' })).body,
    )?.[1] ?? 0,
  );

describe('health endpoints', () => {
  it('/healthz and /health answer ok; /readyz names the store, migrations and workers', async () => {
    const t = createTestApp();
    const server = await createServer(t.app);
    for (const url of ['/healthz', '/health'])
      assert.deepEqual((await server.inject({ url })).json(), { status: 'ok' });
    const ready = await server.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.store, 'ok');
    assert.equal(ready.json().checks.workers, 'running');
    assert.match(ready.json().checks.migrations, /^\d{3}_/);
    await server.close();
  });

  it('/readyz answers 503 with the reason once the SQLite store is closed, and counts the 5xx', async () => {
    const t = createTestApp();
    const server = await createServer(t.app);
    assert.equal((await server.inject({ url: '/readyz' })).statusCode, 200);
    await t.app.store.close();
    const down = await server.inject({ url: '/readyz' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().status, 'not_ready');
    assert.equal(down.json().checks.store, 'unreachable');
    assert.match(down.json().reason, /store does not answer/);
    assert.equal((await server.inject({ url: '/healthz' })).statusCode, 200, 'the process still answers');
    assert.equal(await fiveXx(server), 1);
    await server.close().catch(() => {});
  });

  it('/readyz is ready for an app that runs no workers (workers: off)', async () => {
    const t = createTestApp({ workers: false });
    const server = await createServer(t.app);
    const ready = await server.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.workers, 'off');
    await server.close();
  });
});

const skipPg = await postgresUnavailable();

describe('health on PostgreSQL', { skip: skipPg ?? false }, () => {
  it('/readyz fails while the database refuses connections and recovers when it takes them again', async () => {
    const fresh = await freshDatabase();
    const app = createApp({ store: postgresStore(fresh.url, { max: 2 }), logger: { level: 'silent' } });
    const server = await createServer(app);
    try {
      assert.equal((await server.inject({ url: '/readyz' })).statusCode, 200);
      await adminQuery(`alter database ${fresh.name} allow_connections false`);
      await adminQuery(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [fresh.name],
      );
      const down = await eventually(async () => {
        const answer = await server.inject({ url: '/readyz' });
        return answer.statusCode === 503 ? answer : undefined;
      }, 10_000);
      assert.equal(down.json().checks.store, 'unreachable');
      await adminQuery(`alter database ${fresh.name} allow_connections true`);
      await eventually(async () => (await server.inject({ url: '/readyz' })).statusCode === 200, 10_000);
    } finally {
      await server.close().catch(() => {});
      await adminQuery(`alter database ${fresh.name} allow_connections true`).catch(() => {});
      await fresh.drop();
    }
  });
});
