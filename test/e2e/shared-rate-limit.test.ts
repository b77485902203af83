/**
 * Three `b24-events serve` processes on one PostgreSQL database resume 1,000 parked calls of one portal, sharing one
 * leaky bucket (docs/protocol.md#77-limits: Bitrix24 counts per portal and source address, so instances behind one
 * address share its limit). The portal's limit is tight here (2/s, burst 5; set on both sides, the app's with
 * `installations set-plan`), so three processes pacing themselves apart would send up to three times its burst.
 */
import assert from 'node:assert/strict';
import { describe, after, before, it } from 'node:test';
import { createApp, postgresStore, type B24App } from '../../src/index.js';
import { createLogger } from '../../src/core/logger.js';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { eventually } from '../helpers/app.js';
import { parkCalls } from '../helpers/parked.js';
import { runCli, startProcess, type RunningProcess } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { freshDatabase, postgresUnavailable, type FreshDatabase } from '../helpers/postgres.js';
import { unless } from '../helpers/skip.js';

const unavailable = await postgresUnavailable();
const PORTAL_LIMIT = { perSecond: 2, burst: 5 };

let database: FreshDatabase;
let emulator: Emulator;
let running: RunningEmulator;
let parker: B24App;
const servers: RunningProcess[] = [];
let env: Record<string, string>;

describe(
  'three server processes on one PostgreSQL database',
  unless(unavailable ?? false, () => {
    before(async () => {
      database = await freshDatabase();
      emulator = new Emulator();
      running = await serveEmulator(emulator);
      const ports = await Promise.all([freePort(), freePort(), freePort()]);
      env = {
        DATABASE_URL: database.url,
        B24_OAUTH_URL: running.url,
        B24_CLIENT_ID: EMULATOR_CLIENT_ID,
        B24_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
        PUBLIC_URL: `http://127.0.0.1:${ports[0]}`,
      };
      for (const port of ports)
        servers.push(await startProcess(['serve', '--port', String(port)], env, /b24-events is serving/));
      parker = createApp({
        store: postgresStore(database.url),
        workers: false,
        clientId: EMULATOR_CLIENT_ID,
        clientSecret: EMULATOR_CLIENT_SECRET,
        oauthUrl: running.url,
        logger: createLogger({ level: 'silent' }),
      });
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await parker?.close();
      await running?.close();
      await database?.drop();
    });

    it('resume 1,000 parked calls of one portal with no QUERY_LIMIT_EXCEEDED and the limit never exceeded', {
      timeout: 180_000,
    }, async (t) => {
      const { portal, delivery } = await emulator.install(`${env.PUBLIC_URL}/bitrix24/install`);
      assert.equal(delivery.status, 200);
      await eventually(() => portal.bindings.some((b) => b.event === 'ONAPPMETHODCONFIRM'), 15_000);
      await parkCalls(parker, portal.memberId, 1000, {
        method: 'voximplant.user.get',
        park: 'bulk',
        params: (n) => ({ USER_ID: n }),
      });

      // The portal's plan, on the portal and in the app.
      portal.limits.setRateLimit(PORTAL_LIMIT);
      const plan = await runCli(['installations', 'set-plan', portal.memberId, '--rate', '2/5'], env);
      assert.equal(plan.code, 0, plan.stderr);
      await emulator.decide(emulator.waiting()[0]!.id, true);

      const done = () =>
        parker.store.db
          .selectFrom('parked_calls')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', '=', 'done')
          .executeTakeFirstOrThrow();
      await eventually(async () => Number((await done()).n) === 1000, 150_000);

      const { stats } = portal.limits;
      const { requests } = stats;
      t.diagnostic(
        `1,000 resumed calls: ${requests} REST requests; the portal saw at most ${stats.peakPerSecond} requests in one second, its bucket at most ${stats.peakBucketLevel.toFixed(2)} of ${PORTAL_LIMIT.burst}`,
      );
      assert.equal(stats.queryLimitExceeded, 0, 'no QUERY_LIMIT_EXCEEDED');
      assert.ok(stats.peakBucketLevel <= PORTAL_LIMIT.burst, 'the limit was never exceeded');
      assert.ok(requests <= 25, `${requests} REST requests`);
      assert.equal(emulator.stats.executed.get('voximplant.user.get'), 1000, 'each call ran once');
    });
  }),
);
