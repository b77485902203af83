/** Several instances on one PostgreSQL database: the method-confirmation flow shared between them. */
import assert from 'node:assert/strict';
import { describe, after, before, it } from 'node:test';
import pg from 'pg';
import type { ResumeOutcome } from '../../src/index.js';
import { postgresStore } from '../../src/store/postgres.js';
import { eventually } from '../helpers/app.js';
import { freshDatabase, postgresUnavailable, type FreshDatabase } from '../helpers/postgres.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { unless } from '../helpers/skip.js';

const unavailable = await postgresUnavailable();

/** A stack on a fresh database for the enclosing describe; `on.stack` once `before` has run. */
function stackOnFreshDatabase() {
  const on = {} as { stack: Stack; database: FreshDatabase };
  before(async () => {
    on.database = await freshDatabase();
    on.stack = await startStack({ openStore: () => postgresStore(on.database.url) });
  });
  after(async () => {
    await on.stack?.close();
    await on.database?.drop();
  });
  return on;
}

describe(
  'instances sharing a PostgreSQL database',
  unless(unavailable ?? false, () => {
    const on = stackOnFreshDatabase();

    it('installs, parks, and resumes each call once across three instances', async () => {
      const runs = new Map<number, number>();
      const count = (outcome: ResumeOutcome) => void runs.set(outcome.callId, (runs.get(outcome.callId) ?? 0) + 1);
      on.stack.app.resume('sync', count);
      const others = [on.stack.newApp(), on.stack.newApp()];
      for (const other of others) {
        other.resume('sync', count);
        await other.ready();
      }
      // Calls parked through one instance, the decision received by another, replays done by whichever is free.
      for (let i = 1; i <= 120; i++) {
        const outcome = await others[i % 2]!.rest(on.stack.memberId).call(
          'voximplant.user.get',
          { USER_ID: i },
          { whenWaiting: { park: 'sync' } },
        );
        assert.equal(outcome.status, 'waiting');
      }
      on.stack.serve(others[0]!);
      await on.stack.emulator.decide(on.stack.emulator.waiting()[0]!.id, true);
      await eventually(() => runs.size === 120, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(
        [...runs.values()].every((n) => n === 1),
        'each continuation ran once',
      );
      assert.equal(on.stack.emulator.stats.executed.get('voximplant.user.get'), 120, 'each REST replay ran once');
      const calls = await on.stack.app.calls.list({ limit: 500 });
      assert.ok(calls.every((c) => c.state === 'done' && typeof c.id === 'number'));
    });

    it('records a denial from any instance and ends the parked call denied', async () => {
      on.stack.emulator.expireTokens(on.stack.memberId);
      const outcome = await on.stack.app
        .rest(on.stack.memberId)
        .call('voximplant.user.get', {}, { whenWaiting: { park: 'sync' } });
      assert.equal(outcome.status, 'waiting');
      await on.stack.emulator.decide(on.stack.emulator.waiting()[0]!.id, false);
      const id = outcome.status === 'waiting' ? outcome.parkedCallId! : -1;
      await eventually(async () => (await on.stack.app.calls.get(id))?.state === 'denied');
      const states = (await on.stack.app.permissions(on.stack.memberId)).map((p) => p.state).sort();
      assert.deepEqual(states, ['denied', 'expired']);
    });
  }),
);

describe(
  'NOTIFY between instances',
  unless(unavailable ?? false, () => {
    const on = stackOnFreshDatabase();
    before(() => on.stack.app.close()); // from here on, only the instances below run

    it('wakes an instance that is not polling when another stores an event', async () => {
      const receiver = on.stack.newApp({ workers: false });
      await receiver.ready();
      const sleeper = on.stack.newApp({ inbox: { pollMs: 600_000 }, parkedCalls: { pollMs: 600_000 } });
      const seen: string[] = [];
      sleeper.on('ONAPPMETHODCONFIRM', (event) => void seen.push(event.data.method));
      await sleeper.ready();
      await new Promise((resolve) => setTimeout(resolve, 100)); // its first look for work has passed
      on.stack.serve(receiver);
      await receiver.rest(on.stack.memberId).call('voximplant.user.get', {});
      await on.stack.emulator.decide(on.stack.emulator.waiting()[0]!.id, true);
      await eventually(() => seen.length === 1, 5000);
      assert.deepEqual(seen, ['voximplant.user.get']);

      // The listening connection is cut (a restart, a failover): the instance listens again.
      const admin = new pg.Client({ connectionString: on.database.url });
      await admin.connect();
      // Only this file's database: other test files (and other test runs) share the server.
      const listeners = "from pg_stat_activity where application_name = 'b24-events listener' and datname = $1";
      const { rowCount } = await admin.query(`select pg_terminate_backend(pid) ${listeners}`, [on.database.name]);
      assert.equal(rowCount, 1);
      // Listening again: a new connection whose last statement was its LISTEN.
      await eventually(
        async () =>
          (await admin.query(`select 1 ${listeners} and state = 'idle' and query ilike 'listen%'`, [on.database.name]))
            .rowCount === 1,
        10_000,
      );
      await admin.end();
      on.stack.emulator.expireTokens(on.stack.memberId);
      await receiver.rest(on.stack.memberId).call('voximplant.user.get', {});
      await on.stack.emulator.decide(on.stack.emulator.waiting()[0]!.id, false);
      await eventually(() => seen.length === 2, 5000);
    });
  }),
);
