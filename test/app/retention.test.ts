/**
 * Retention (issue 13): finished inbox events and ended parked calls older than `retention.days` are deleted in small
 * batches, by the background job and by `b24-events prune`; failed, pending, waiting and recent ones stay. On both
 * engines.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { InboxStatus, ParkedCallState, ContinuationStatus, Store } from '../../src/store/schema.js';
import { openStore } from '../../src/store/open.js';
import { eventually, tempDir, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { engines } from '../helpers/engines.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** An event as the worker leaves it: `status`, finished `age` days ago (pending and processing ones unfinished). */
async function seedEvent(store: Store, status: InboxStatus, age: number, n: number): Promise<number> {
  const finished = status === 'done' || status === 'failed';
  const row = await store.db
    .insertInto('inbox')
    .values({
      body_hash: `hash-${status}-${age}-${n}`,
      member_id: 'm1',
      event: 'ONCRMDEALUPDATE',
      ts: '1700000000',
      received_at: ago(age + 1),
      payload: '{"event":"ONCRMDEALUPDATE","data":{"FIELDS":{"ID":"1"}}}',
      application_token_hash: 'h',
      status,
      attempts: 1,
      next_attempt_at: ago(age + 1),
      last_error: status === 'failed' ? 'Error: boom' : null,
      finished_at: finished ? ago(age) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

async function seedCall(
  store: Store,
  state: ParkedCallState,
  continuation: ContinuationStatus,
  age: number,
): Promise<number> {
  const ended = state === 'done' || state === 'denied' || state === 'failed';
  const row = await store.db
    .insertInto('parked_calls')
    .values({
      member_id: 'm1',
      method: 'voximplant.user.get',
      params: '{}',
      token_hash: 't',
      continuation: 'none',
      state,
      created_at: ago(age + 1),
      updated_at: ago(age),
      finished_at: ended ? ago(age) : null,
      attempts: 1,
      next_attempt_at: ago(age),
      continuation_status: continuation,
      continuation_attempts: continuation === 'pending' ? 0 : 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Old and new rows of every state; which of them a 30-day retention may delete. */
async function seed(store: Store) {
  const goes = { events: [] as number[], calls: [] as number[] };
  const failed = { events: [] as number[], calls: [] as number[] };
  const stays = { events: [] as number[], calls: [] as number[] };
  for (let n = 0; n < 5; n++) goes.events.push(await seedEvent(store, 'done', 31 + n, n));
  stays.events.push(await seedEvent(store, 'done', 29, 0));
  failed.events.push(await seedEvent(store, 'failed', 40, 0));
  stays.events.push(await seedEvent(store, 'pending', 40, 0), await seedEvent(store, 'processing', 40, 0));
  goes.calls.push(
    await seedCall(store, 'done', 'done', 31),
    await seedCall(store, 'done', 'skipped', 45),
    await seedCall(store, 'denied', 'done', 60),
  );
  failed.calls.push(await seedCall(store, 'failed', 'pending', 40), await seedCall(store, 'done', 'failed', 40));
  stays.calls.push(
    await seedCall(store, 'done', 'pending', 40), // its continuation has not run yet
    await seedCall(store, 'waiting', 'pending', 40),
    await seedCall(store, 'ready', 'pending', 40),
    await seedCall(store, 'done', 'done', 2),
  );
  return { goes, failed, stays };
}

const ids = async (store: Store) => ({
  events: (await store.db.selectFrom('inbox').select('id').orderBy('id').execute()).map((r) => Number(r.id)),
  calls: (await store.db.selectFrom('parked_calls').select('id').orderBy('id').execute()).map((r) => Number(r.id)),
});
const sorted = (...lists: number[][]) => lists.flat().sort((a, b) => a - b);

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

for (const engine of await engines()) {
  describe(`retention (${engine.name})`, { skip: engine.skip }, () => {
    it('prunes only finished events and ended calls past the period, batch by batch; failed ones by hand only', async () => {
      t = await engine.open({ workers: false, retention: { days: 30, batchSize: 2 } });
      const { app } = t;
      await app.ready();
      const rows = await seed(app.store);

      assert.deepEqual(await app.retention.prune({ dryRun: true }), { events: 5, calls: 3 });
      assert.equal((await ids(app.store)).events.length, 9, 'a dry run deletes nothing');
      assert.deepEqual(await app.retention.prune(), { events: 5, calls: 3 });
      assert.deepEqual(await ids(app.store), {
        events: sorted(rows.failed.events, rows.stays.events),
        calls: sorted(rows.failed.calls, rows.stays.calls),
      });
      assert.deepEqual(await app.retention.prune(), { events: 0, calls: 0 });

      assert.deepEqual(await app.retention.prune({ includeFailed: true }), { events: 1, calls: 2 });
      assert.deepEqual(await ids(app.store), { events: sorted(rows.stays.events), calls: sorted(rows.stays.calls) });
    });

    it('the background job prunes on its own, every period, and counts what it deleted', async () => {
      t = await engine.open({ retention: { days: 30, everyMs: 100 } });
      const { app } = t;
      await app.ready();
      const rows = await seed(app.store);
      await eventually(async () => (await ids(app.store)).events.length === 4, 10_000);
      await eventually(async () => (await ids(app.store)).calls.length === 6, 10_000);
      assert.deepEqual(await ids(app.store), {
        events: sorted(rows.failed.events, rows.stays.events),
        calls: sorted(rows.failed.calls, rows.stays.calls),
      });
      const job = await eventually(() =>
        app.store.db
          .selectFrom('periodic_jobs')
          .select('last_result')
          .where('name', '=', 'retention')
          .where('last_result', 'is not', null)
          .executeTakeFirst(),
      );
      assert.match(job.last_result ?? '', /^deleted \d+ finished events and \d+ ended calls$/);
      // The run counts what it deleted once its last batch is done, just after the rows are gone.
      await eventually(async () => {
        const metrics = await app.metrics.metrics();
        return (
          /b24_events_pruned_total\{table="inbox"\} 5/.test(metrics) &&
          /b24_events_pruned_total\{table="parked_calls"\} 3/.test(metrics)
        );
      });
    });
  });
}

describe('b24-events prune', () => {
  it('counts with --dry-run, deletes, says what it keeps, and refuses a bad age', async () => {
    const db = join(tempDir(), 'prune.sqlite');
    const store = openStore(db);
    await store.migrate();
    await seed(store);
    await store.close();

    const dry = await runCli(['prune', '--db', db, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Would delete 5 events and 3 parked calls\./);
    assert.match(dry.stdout, /deleted after 30 days; failed ones are kept until replayed/);

    const recent = await runCli(['prune', '--db', db, '--older-than', '50d', '--json']);
    assert.equal(recent.code, 0, recent.stderr);
    assert.deepEqual(JSON.parse(recent.stdout), { events: 0, calls: 1, dryRun: false });

    const done = await runCli(['prune', '--db', db]);
    assert.match(done.stdout, /Deleted 5 events and 2 parked calls\./);

    const bad = await runCli(['prune', '--db', db, '--older-than', 'a month']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /give an age such as 30d, 12h or 90m, not "a month"/);

    const off = await runCli(['prune', '--db', db], { B24_RETENTION_DAYS: '0' });
    assert.equal(off.code, 2);
    assert.match(off.stderr, /retention is off/);
  });
});
