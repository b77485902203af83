/**
 * One suite for every store adapter: what the core relies on from the storage port. Each adapter's test file calls
 * `storeContract` with a factory that opens a new handle on one fresh, shared database.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../../src/store/schema.js';
import { claimDueEvents, finishInboxEvent, insertInboxEvent, requeueInboxEvent } from '../../src/store/inbox.js';
import type { Lease } from '../../src/store/lease.js';
import {
  getInstallation,
  installationsVersion,
  listInstallations,
  saveInstallation,
  updateInstallation,
} from '../../src/store/installations.js';
import {
  claimContinuations,
  claimReadyCalls,
  decideParkedCalls,
  insertParkedCall,
  settleParkedCall,
} from '../../src/store/parked-calls.js';
import { getPermission, recordDecisions, recordWaiting } from '../../src/store/permissions.js';
import {
  claimAgedTokens,
  leaseRefresh,
  markNeedsReinstall,
  storeRefreshedPair,
} from '../../src/store/token-refresh.js';
import { blockMethod, blocksInForce } from '../../src/store/method-blocks.js';
import {
  claimDueOfflineSync,
  completeOfflineSync,
  ensureOfflineSync,
  makeOfflineSyncDue,
  recordStoredBatch,
} from '../../src/store/offline-sync.js';
import { unless } from '../helpers/skip.js';

export interface ContractTarget {
  /** A new handle on the adapter's test database (several may be open at once, like several instances). */
  open(): Store;
  cleanup(): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const lease = (owner: string, now: number, until: number): Lease => ({ owner, now: iso(now), until: iso(until) });

const inboxRow = (key: string, at = iso(T0)) => ({
  body_hash: key,
  member_id: 'm',
  event: 'ONAPPTEST',
  ts: at,
  received_at: at,
  payload: '{}',
  application_token_hash: 'h',
  status: 'pending' as const,
  attempts: 0,
  next_attempt_at: at,
});

const parked = (i: number) => ({
  member_id: 'm',
  method: 'voximplant.user.get',
  params: JSON.stringify({ USER_ID: i }),
  token_hash: 't1',
  continuation: 'c',
  state: 'waiting' as const,
  created_at: iso(T0),
  updated_at: iso(T0),
  next_attempt_at: iso(T0),
  attempts: 0,
  continuation_status: 'pending' as const,
  continuation_attempts: 0,
});

export function storeContract(makeTarget: () => Promise<ContractTarget>, skip: string | false = false): () => void {
  return unless(skip, () => {
    let target: ContractTarget;
    let store: Store;
    let other: Store;
    before(async () => {
      target = await makeTarget();
      store = target.open();
      other = target.open();
      await store.migrate();
      await other.migrate();
    });
    after(async () => {
      await store?.close();
      await other?.close();
      await target?.cleanup();
    });

    it('migrates again without harm', async () => {
      const again = target.open();
      await again.migrate();
      await again.close();
    });

    it('refuses a database that a later build migrated further', async () => {
      await sql`insert into b24_events_migrations (name, timestamp) values ('999_from_a_later_build', '2099-01-01')`.execute(
        store.db,
      );
      const again = target.open();
      try {
        await assert.rejects(again.migrate(), /999_from_a_later_build/);
      } finally {
        await again.close();
        await sql`delete from b24_events_migrations where name = '999_from_a_later_build'`.execute(store.db);
      }
    });

    it('leaves nothing behind when a migration fails halfway, so the next start migrates', async () => {
      const fresh = await makeTarget();
      const halfway = fresh.open();
      try {
        // The first migration creates installations, inbox, then permissions: with permissions already there, it
        // fails after creating the other two.
        await sql`create table permissions (taken integer)`.execute(halfway.db);
        await assert.rejects(halfway.migrate(), /permissions/);
        const tables = (await halfway.db.introspection.getTables()).map((t) => t.name);
        assert.deepEqual(
          tables.filter((name) => name === 'installations' || name === 'inbox'),
          [],
          `left behind: ${tables.join(', ')}`,
        );
        await sql`drop table permissions`.execute(halfway.db);
        await halfway.migrate();
        assert.ok((await halfway.db.introspection.getTables()).some((t) => t.name === 'offline_sync'));
      } finally {
        await halfway.close();
        await fresh.cleanup();
      }
    });

    it('has the same tables and columns on every engine', async () => {
      const tables = await store.db.introspection.getTables();
      const columns = Object.fromEntries(tables.map((t) => [t.name, t.columns.map((c) => c.name).sort()]));
      assert.deepEqual(columns.inbox, [
        'application_token_hash',
        'attempts',
        'body_hash',
        'event',
        'finished_at',
        'id',
        'last_error',
        'lease_owner',
        'locked_until',
        'member_id',
        'next_attempt_at',
        'object_key',
        'offline_key',
        'payload',
        'received_at',
        'status',
        'ts',
        'via',
      ]);
      assert.deepEqual(columns.parked_calls, [
        'attempts',
        'continuation',
        'continuation_attempts',
        'continuation_error',
        'continuation_status',
        'created_at',
        'error',
        'finished_at',
        'id',
        'lease_owner',
        'locked_until',
        'member_id',
        'method',
        'next_attempt_at',
        'params',
        'result',
        'state',
        'token_hash',
        'updated_at',
      ]);
      assert.deepEqual(Object.keys(columns).sort(), [
        'b24_events_migrations',
        'b24_events_migrations_lock',
        'inbox',
        'installations',
        'installations_version',
        'method_blocks',
        'offline_sync',
        'parked_calls',
        'periodic_jobs',
        'permissions',
        'rate_buckets',
      ]);
      assert.deepEqual(columns.periodic_jobs, [
        'attempts',
        'last_error',
        'last_result',
        'last_run_at',
        'lease_owner',
        'locked_until',
        'name',
        'next_attempt_at',
      ]);
    });

    it('moves the installations version when an application_token or a status changes, by any writer, and not on a token refresh', async () => {
      const at = '2024-01-01T00:00:00.000Z';
      const row = {
        member_id: 'versioned',
        domain: 'portal.bitrix24.com',
        application_token: 'app-1',
        refresh_token: 'r1',
        status: 'active' as const,
        installed_at: at,
        updated_at: at,
      };
      const before = await installationsVersion(store.db);
      await saveInstallation(store.db, row);
      const installed = await installationsVersion(store.db);
      assert.ok(installed > before, 'an install moves it');
      await store.db
        .updateTable('installations')
        .set({ access_token: 'a2', refresh_token: 'r2', access_expires_at: at, tokens_refreshed_at: at })
        .where('member_id', '=', 'versioned')
        .execute();
      assert.equal(await installationsVersion(store.db), installed, 'a token refresh does not');
      await store.db
        .updateTable('installations')
        .set({ application_token: 'app-2' })
        .where('member_id', '=', 'versioned')
        .execute();
      const changed = await installationsVersion(store.db);
      assert.ok(changed > installed, 'a hand-written UPDATE of the application_token moves it');
      await updateInstallation(store.db, 'versioned', { status: 'uninstalled' });
      assert.ok((await installationsVersion(store.db)) > changed, 'an uninstall moves it');
    });

    it('saves, reads and updates installations', async () => {
      const row = {
        member_id: 'm',
        domain: 'portal.bitrix24.com',
        client_endpoint: 'https://portal.bitrix24.com/rest/',
        server_endpoint: 'https://oauth.bitrix.info/rest/',
        application_token: 'app',
        access_token: 'a1',
        refresh_token: 'r1',
        access_expires_at: iso(T0 + 3600_000),
        scope: 'crm',
        status: 'active' as const,
        version: '1',
        installed_at: iso(T0),
        oauth_server: 'https://oauth.bitrix.info',
        updated_at: iso(T0),
        uninstalled_at: null,
        rate_per_second: null,
        rate_burst: null,
      };
      await saveInstallation(store.db, row);
      await saveInstallation(store.db, { ...row, version: '1.0.2', installed_at: iso(T0 + 1) });
      const keepAlive = {
        tokens_refreshed_at: null,
        refresh_attempts: 0,
        refresh_retry_at: null,
        refresh_error: null,
        locked_until: null,
        lease_owner: null,
      };
      assert.deepEqual(await getInstallation(other.db, 'm'), { ...row, ...keepAlive, version: '1.0.2' });
      await updateInstallation(store.db, 'm', { status: 'uninstalled', access_token: null });
      assert.equal((await listInstallations(other.db))[0]?.status, 'uninstalled');
      assert.equal(await getInstallation(store.db, 'nobody'), undefined);
    });

    it('joins an identical body to an event whose handlers have not started, with a numeric id', async () => {
      const first = await insertInboxEvent(store.db, inboxRow('k1'));
      const second = await insertInboxEvent(other.db, inboxRow('k1'));
      assert.equal(typeof first.id, 'number');
      assert.deepEqual(second, { id: first.id, inserted: false });
    });

    it('stores an identical body again once the first has started its handlers', async () => {
      const first = await insertInboxEvent(store.db, inboxRow('started'));
      await store.db
        .updateTable('inbox')
        .set({ status: 'processing', attempts: 1 })
        .where('id', '=', first.id)
        .execute();
      const second = await insertInboxEvent(other.db, inboxRow('started'));
      assert.equal(second.inserted, true);
      assert.notEqual(second.id, first.id);
      await store.db.deleteFrom('inbox').where('body_hash', '=', 'started').execute();
    });

    it('never gives one event to two claimers, and takes over an expired lease', async () => {
      for (let i = 0; i < 20; i++) await insertInboxEvent(store.db, inboxRow(`claim-${i}`));
      const now = T0 + 1000;
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          claimDueEvents(i % 2 ? store : other, lease(`w${i}`, now, T0 + 60_000), 1),
        ),
      );
      const ids = claims.flat().map((row) => row.id);
      assert.equal(ids.length, new Set(ids).size, 'no event claimed twice');
      assert.equal(ids.length, 21, 'every due event claimed (k1 and claim-0..19)');
      assert.deepEqual(await claimDueEvents(store, lease('late', now, T0 + 60_000), 5), []);
      const [expired] = await claimDueEvents(store, lease('heir', T0 + 61_000, T0 + 120_000), 1);
      assert.ok(expired, 'a lease that ran out can be taken over');
      assert.equal(expired.attempts, 2, 'attempts counts the runs started');
      const first = claims.flat().find((row) => row.id === expired.id)!;
      assert.equal(
        await finishInboxEvent(store.db, expired.id, first.lease_owner!, { status: 'done', at: iso(now) }),
        false,
        'the lost lease writes nothing',
      );
      assert.equal(
        await finishInboxEvent(store.db, expired.id, 'heir', { status: 'failed', error: 'x', at: iso(now) }),
        true,
      );
      assert.equal(await requeueInboxEvent(other.db, expired.id, iso(now)), true);
      assert.equal(await requeueInboxEvent(other.db, expired.id, iso(now)), false, 'a pending event is not requeued');
    });

    it('claims several due events at once, oldest first, each with its attempt started', async () => {
      for (let i = 0; i < 3; i++) await insertInboxEvent(store.db, inboxRow(`many-${i}`, iso(T0 + 200_000)));
      const rows = await claimDueEvents(other, lease('many', T0 + 200_000, T0 + 260_000), 10);
      assert.ok(rows.length >= 3);
      assert.deepEqual(
        rows.map((row) => row.id),
        [...rows.map((row) => row.id)].sort((a, b) => a - b),
      );
      assert.ok(rows.every((row) => row.lease_owner === 'many' && row.status === 'processing' && row.attempts >= 1));
    });

    it('keeps the latest decision and does not let a waiting answer erase a fresh one', async () => {
      const key = { memberId: 'm', tokenHash: 't', method: 'voximplant.user.get' };
      await recordWaiting(store.db, {
        ...key,
        requestedAt: iso(T0),
        tokenExpiresAt: iso(T0 + 3600_000),
        callStartedAt: iso(T0),
      });
      await recordDecisions(store.db, [
        { ...key, granted: true, languageId: 'en', decidedAt: iso(T0 + 10), receivedAt: iso(T0 + 20) },
      ]);
      await recordDecisions(other.db, [
        { ...key, granted: false, languageId: 'en', decidedAt: iso(T0 + 5), receivedAt: iso(T0 + 30) },
      ]);
      assert.equal(
        (await getPermission(store.db, key))?.state,
        'granted',
        'an older decision delivered late does not win',
      );
      await recordWaiting(store.db, {
        ...key,
        requestedAt: iso(T0 + 25),
        tokenExpiresAt: null,
        callStartedAt: iso(T0 + 15),
      });
      assert.equal(
        (await getPermission(store.db, key))?.state,
        'granted',
        'the decision came while the call was on its way',
      );
      const row = await recordWaiting(store.db, {
        ...key,
        requestedAt: iso(T0 + 99),
        tokenExpiresAt: null,
        callStartedAt: iso(T0 + 90),
      });
      assert.equal(row.state, 'waiting', 'the portal forgot an older decision');
      assert.equal(row.token_expires_at, null);
    });

    it('writes many decisions at once as if one after another: the latest per key, the first decides the calls', async () => {
      const member = 'batch';
      const key = (method: string) => ({ memberId: member, tokenHash: 't', method });
      const decision = (method: string, granted: boolean, decidedMs: number) => ({
        ...key(method),
        granted,
        languageId: 'en',
        decidedAt: iso(T0 + decidedMs),
        receivedAt: iso(T0 + 100),
      });
      await recordDecisions(store.db, [decision('a.get', true, 50)]);
      await recordDecisions(store.db, [
        decision('a.get', false, 40), // older than the stored grant: stays granted
        decision('b.get', false, 10),
        decision('b.get', true, 30),
        decision('b.get', false, 20), // the grant at 30 is the latest
        decision('c.get', true, 10),
        decision('c.get', false, 10), // same time: the later given wins
      ]);
      const states = await Promise.all(['a.get', 'b.get', 'c.get'].map((m) => getPermission(store.db, key(m))));
      assert.deepEqual(
        states.map((row) => row?.state),
        ['granted', 'granted', 'denied'],
      );
      for (const method of ['a.get', 'b.get']) {
        await insertParkedCall(store.db, { ...parked(0), member_id: member, token_hash: 't', method });
      }
      const decided = await decideParkedCalls(
        store.db,
        [
          { ...key('a.get'), granted: false },
          { ...key('a.get'), granted: true },
          { ...key('b.get'), granted: true },
        ],
        iso(T0 + 200),
      );
      assert.equal(decided, 2);
      const calls = await store.db
        .selectFrom('parked_calls')
        .select(['method', 'state'])
        .where('member_id', '=', member)
        .orderBy('method')
        .execute();
      assert.deepEqual(calls, [
        { method: 'a.get', state: 'denied' },
        { method: 'b.get', state: 'ready' },
      ]);
      await store.db.deleteFrom('parked_calls').where('member_id', '=', member).execute(); // later tests claim calls
    });

    it('makes parked calls ready on a grant and leases each to one worker, fenced by owner', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 60; i++) ids.push(await insertParkedCall(store.db, parked(i)));
      assert.equal(
        await decideParkedCalls(
          store.db,
          [{ memberId: 'm', tokenHash: 't1', method: 'voximplant.user.get', granted: true }],
          iso(T0),
        ),
        60,
      );
      const claim = (s: Store, owner: string) => claimReadyCalls(s, lease(owner, T0 + 1, T0 + 60_000), 50);
      const [a, b] = await Promise.all([claim(store, 'a'), claim(other, 'b')]);
      const claimed = [...a, ...b].map((row) => row.id);
      assert.equal(claimed.length, 60);
      assert.equal(new Set(claimed).size, 60, 'no call leased twice');
      const mine = a[0] ?? b[0]!;
      const owner = a.length ? 'a' : 'b';
      assert.equal(
        await settleParkedCall(store.db, mine.id, 'someone-else', { state: 'done' }),
        false,
        'only the holder may write',
      );
      assert.equal(
        await settleParkedCall(store.db, mine.id, owner, {
          state: 'done',
          result: '[]',
          finished_at: iso(T0 + 2),
          next_attempt_at: iso(T0 + 2),
        }),
        true,
      );
      assert.ok(
        [...a, ...b].every((row) => row.attempts === 1),
        'a claim starts a replay attempt',
      );
      const continuations = await claimContinuations(other, lease('c', T0 + 3, T0 + 60_000), 10);
      assert.deepEqual(
        continuations.map((row) => row.id),
        [mine.id],
      );
      assert.equal(continuations[0]?.continuation_attempts, 1, 'a claim starts a continuation attempt');
    });

    it("leases an installation's refresh token to one holder at a time, fenced by owner and the spent token", async () => {
      await saveInstallation(store.db, {
        member_id: 'k',
        domain: 'k.bitrix24.com',
        application_token: 'app',
        access_token: 'a1',
        refresh_token: 'r1',
        status: 'active',
        installed_at: iso(T0),
        updated_at: iso(T0),
        tokens_refreshed_at: iso(T0),
      });
      const due = { olderThan: iso(T0), now: iso(T0) };
      const claim = (s: Store, owner: string, at = T0 + 1) =>
        claimAgedTokens(s, lease(owner, at, at + 60_000), due, 10).then((rows) =>
          rows.filter((r) => r.member_id === 'k'),
        );
      const [a, b] = await Promise.all([claim(store, 'a'), claim(other, 'b')]);
      assert.equal(a.length + b.length, 1, 'one claimer holds it');
      const [held] = [...a, ...b];
      const owner = a.length ? 'a' : 'b';
      assert.equal(held?.refresh_attempts, 1, 'a claim starts an attempt');
      assert.equal(
        await leaseRefresh(other.db, 'k', lease('call', T0 + 2, T0 + 60_000)),
        undefined,
        'held: no one else',
      );
      const pair = {
        accessToken: 'a2',
        refreshToken: 'r2',
        expiresAt: iso(T0),
        at: iso(T0 + 3),
        refreshedAt: iso(T0 + 3),
      };
      assert.equal(await storeRefreshedPair(store.db, 'k', 'call', 'r1', pair), false, 'only the holder may write');
      assert.equal(await storeRefreshedPair(store.db, 'k', owner, 'r1', pair), true);
      const stored = await getInstallation(other.db, 'k');
      assert.deepEqual(
        [stored?.refresh_token, stored?.refresh_attempts, stored?.lease_owner, stored?.tokens_refreshed_at],
        ['r2', 0, null, iso(T0 + 3)],
      );
      assert.deepEqual(await claim(other, 'c', T0 + 4), [], 'a fresh pair is not due');
      // A holder that died: its lease runs out and the next one takes over.
      assert.ok(await leaseRefresh(store.db, 'k', lease('d', T0 + 5, T0 + 10)));
      assert.ok(await leaseRefresh(other.db, 'k', lease('e', T0 + 11, T0 + 60_000)));
      const refused = { error: 'invalid_grant at https://oauth.bitrix.info', at: iso(T0 + 12) };
      assert.equal(await markNeedsReinstall(store.db, 'k', 'e', 'r1', refused), false, 'a token no longer stored');
      assert.equal(await markNeedsReinstall(store.db, 'k', 'e', 'r2', refused), true);
      const lost = await getInstallation(other.db, 'k');
      assert.deepEqual(
        [lost?.status, lost?.refresh_error, lost?.lease_owner],
        ['needs_reinstall', refused.error, null],
      );
      assert.deepEqual(
        await claim(store, 'f', T0 + 13).then((rows) => rows.length),
        0,
        'needs_reinstall is not refreshed',
      );
    });

    it("paces a portal's requests by its leaky bucket: a burst at once, then one per 1/rate", async () => {
      const limit = { perSecond: 2, burst: 2 };
      const waits = [];
      for (let i = 0; i < 4; i++) waits.push(await store.reserveRequest('bucket-portal', limit));
      assert.deepEqual(waits.slice(0, 2), [0, 0], 'the burst goes at once');
      assert.ok(waits[2]! > 0 && waits[2]! <= 500, `the third waits about 1/rate (${waits[2]} ms)`);
      assert.ok(waits[3]! > waits[2]!, 'each further request waits its own turn');
      assert.equal(await store.reserveRequest('another-portal', limit), 0, 'each portal has its own bucket');
      await store.reserveRequest('full-portal', limit, true);
      assert.ok(
        (await store.reserveRequest('full-portal', limit)) > 0,
        'after QUERY_LIMIT_EXCEEDED the bucket is full',
      );
    });

    it('passes over ready calls whose method is blocked, and lengthens blocks only', async () => {
      const at = T0 + 10;
      for (const [i, method] of [
        [1, 'voximplant.user.get'],
        [2, 'crm.deal.list'],
      ] as const)
        await insertParkedCall(store.db, { ...parked(i), member_id: 'blocked-portal', method, state: 'ready' });
      await blockMethod(
        store.db,
        {
          memberId: 'blocked-portal',
          method: 'voximplant.user.get',
          until: iso(at + 20_000),
          reason: 'OPERATION_TIME_LIMIT',
        },
        iso(at),
      );
      await blockMethod(
        store.db,
        { memberId: 'blocked-portal', method: 'voximplant.user.get', until: iso(at + 1000), reason: 'operating' },
        iso(at),
      );
      const [block] = await blocksInForce(store.db, 'blocked-portal', iso(at));
      assert.deepEqual(
        [block?.until, block?.reason],
        [iso(at + 20_000), 'OPERATION_TIME_LIMIT'],
        'a shorter block does not cut it short',
      );
      const claimed = await claimReadyCalls(store, lease('x', at, at + 1000), 50);
      assert.deepEqual(
        claimed.map((c) => c.method),
        ['crm.deal.list'],
        'the blocked method stays ready, unclaimed',
      );
      await blockMethod(
        store.db,
        { memberId: 'blocked-portal', method: 'batch', until: iso(at + 40_000), reason: 'OPERATION_TIME_LIMIT' },
        iso(at),
      );
      assert.deepEqual(
        await claimReadyCalls(store, lease('y', at + 21_000, at + 22_000), 50),
        [],
        'batch blocked: nothing',
      );
      const later = await claimReadyCalls(store, lease('z', at + 41_000, at + 42_000), 50);
      assert.deepEqual(
        later.filter((c) => c.method === 'voximplant.user.get').map((c) => c.attempts),
        [1],
        'after the blocks it is claimed, its first attempt',
      );
    });

    it("leases each portal's offline reconciliation to one instance, and a signal during a run keeps it due", async () => {
      await ensureOfflineSync(store.db, 'offline-m', { authConnector: 'k', dueAt: iso(T0) });
      const [a, b] = await Promise.all([
        claimDueOfflineSync(store, lease('a', T0 + 1, T0 + 60_000), 5),
        claimDueOfflineSync(other, lease('b', T0 + 1, T0 + 60_000), 5),
      ]);
      const mine = [...a, ...b].filter((row) => row.member_id === 'offline-m');
      assert.equal(mine.length, 1, 'one instance holds the portal');
      const owner = a.some((row) => row.member_id === 'offline-m') ? 'a' : 'b';
      const batch = {
        processId: 'p1',
        failedMessageIds: [],
        counts: { recovered: 2, matched: 1, failed: 0 },
        at: iso(T0 + 2),
      };
      assert.equal(
        await recordStoredBatch(store.db, 'offline-m', 'someone-else', batch),
        false,
        'only the holder may write',
      );
      assert.equal(await recordStoredBatch(store.db, 'offline-m', owner, batch), true);
      // ONOFFLINEEVENT arrives during the run: the write-back keeps the portal due instead of setting the timer.
      await makeOfflineSyncDue(other.db, iso(T0 + 3), 'offline-m');
      assert.equal(
        await completeOfflineSync(store.db, mine[0]!, owner, {
          nextAt: iso(T0 + 600_000),
          at: iso(T0 + 4),
          backlog: 0,
        }),
        true,
      );
      const again = await claimDueOfflineSync(other, lease('c', T0 + 5, T0 + 60_000), 5);
      assert.deepEqual(
        again.map((row) => [row.member_id, row.process_id, row.batch_state, Number(row.recovered)]),
        [['offline-m', 'p1', 'stored', 2]],
      );
    });
  });
}
