/** What the app answers and records when it fails: 500s and 503s counted, refusals logged within a bound. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { refusalLog } from '../../src/app/refusal-log.js';
import { postgresStore } from '../../src/store/postgres.js';
import * as bodies from '../fixtures/bodies.js';
import { createTestApp, eventually, type TestApp } from '../helpers/app.js';
import { rowCounts } from '../helpers/engines.js';
import { adminQuery, freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { unless } from '../helpers/skip.js';

const register = (t: TestApp) =>
  t.app.installations.add({
    memberId: bodies.MEMBER_ID,
    domain: bodies.DOMAIN,
    applicationToken: bodies.APPLICATION_TOKEN,
  });
const withTs = (ts: number) => bodies.methodConfirmGranted.replace('ts=1478790852', `ts=${ts}`);
const counted = async (t: TestApp, outcome: string) => {
  const line = (await t.app.metrics.metrics())
    .split('\n')
    .find((l) => l.startsWith('b24_events_received_total') && l.includes(`outcome="${outcome}"`));
  return Number(line?.split(' ').at(-1) ?? 0);
};

describe('failures are counted and logged within bounds', () => {
  it('a 500 is counted in /metrics as internal_error (500s were invisible there)', async () => {
    const t = createTestApp();
    try {
      await register(t);
      await sql`drop table inbox`.execute(t.app.store.db);
      const answer = await t.post(bodies.methodConfirmGranted);
      assert.equal(answer.status, 500);
      assert.deepEqual(Object.keys(answer.json), ['error', 'message']);
      assert.equal(await counted(t, 'internal_error'), 1);
    } finally {
      await t.close();
    }
  });

  it('refusal log lines are rate-limited (each was ~390 bytes without bound); /metrics counts every one', async () => {
    const t = createTestApp();
    try {
      const started = Date.now();
      for (let i = 0; i < 100; i++) assert.equal((await t.post(bodies.methodConfirmGranted)).status, 403);
      const seconds = Math.ceil((Date.now() - started) / 1000);
      const refusals = t.logs.filter((l) => l.includes('"event refused"')).length;
      assert.ok(refusals >= 10 && refusals <= 10 * seconds, `${refusals} lines in ${seconds} s`);
      // One summary line per second that had refusals past the limit: under load the posts span several.
      const summed = () =>
        t.logs
          .filter((l) => l.includes('refusals not logged'))
          .reduce((sum, l) => sum + (JSON.parse(l) as { suppressed: number }).suppressed, 0);
      await eventually(() => refusals + summed() >= 100, 3000);
      assert.equal(refusals + summed(), 100, 'every refusal is either logged or summed');
      assert.equal(await counted(t, 'unknown_portal'), 100);
    } finally {
      await t.close();
    }
  });

  it('the refusal log: at most N lines per code per second, then one line with the count of the rest', () => {
    const lines: { msg: string; suppressed?: number; error: string }[] = [];
    const log = {
      warn: (fields: { suppressed?: number; error: string }, msg: string) => lines.push({ ...fields, msg }),
    } as unknown as Logger;
    let now = 0;
    const logRefusal = refusalLog(log, { perSecond: 3, now: () => now });
    for (let i = 0; i < 10; i++) logRefusal({ error: 'token_mismatch', reason: 'r' });
    logRefusal({ error: 'malformed_body', reason: 'r' });
    now = 1000;
    logRefusal({ error: 'token_mismatch', reason: 'r' });
    assert.deepEqual(
      lines.map((l) => [l.error, l.msg.split(' ')[0], l.suppressed]),
      [
        ['token_mismatch', 'event', undefined],
        ['token_mismatch', 'event', undefined],
        ['token_mismatch', 'event', undefined],
        ['malformed_body', 'event', undefined],
        ['token_mismatch', 'refusals', 7],
        ['token_mismatch', 'event', undefined],
      ],
    );
  });
});

const unavailable = await postgresUnavailable();

describe(
  'PostgreSQL unreachable',
  unless(unavailable ?? false, () => {
    it('answers 503 store_unavailable (not 500), stores nothing half, and recovers by itself when the database is back', async () => {
      const database = await freshDatabase();
      const refuseConnections = async () => {
        await adminQuery(`alter database ${database.name} allow_connections false`);
        await adminQuery(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [database.name],
        );
      };
      const allowConnections = () => adminQuery(`alter database ${database.name} allow_connections true`);
      await refuseConnections();
      const t = createTestApp({ store: postgresStore(database.url) });
      try {
        // Away from the first request: the schema cannot even be created.
        const first = await t.post(withTs(1478790001));
        assert.equal(first.status, 503);
        assert.equal(first.json.error, 'store_unavailable');
        await allowConnections();
        await register(t);
        assert.equal((await t.post(withTs(1478790002))).status, 200);
        const before = await rowCounts(t.app.store);

        await refuseConnections();
        const during = await t.post(withTs(1478790003));
        assert.equal(during.status, 503);
        assert.deepEqual(Object.keys(during.json), ['error', 'message']);
        assert.ok((await counted(t, 'store_unavailable')) >= 2);

        await allowConnections();
        assert.deepEqual(
          await eventually(() => rowCounts(t.app.store).catch(() => undefined)),
          before,
          'nothing of the refused event was stored',
        );
        const after = await eventually(async () =>
          (await t.post(withTs(1478790003))).status === 200 ? true : undefined,
        );
        assert.ok(after);
        assert.equal((await rowCounts(t.app.store)).inbox, before.inbox + 1);
      } finally {
        await allowConnections();
        await t.close();
        await database.drop();
      }
    });
  }),
);
