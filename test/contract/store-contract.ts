/**
 * One suite for every store adapter: what the core relies on from the storage port. Each adapter's test file calls
 * `storeContract` with a factory that opens a new handle on one fresh, shared database.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Store } from '../../src/store/schema.js';
import { claimDueEvents, finishInboxEvent, insertInboxEvent, requeueInboxEvent } from '../../src/store/inbox.js';
import type { Lease } from '../../src/store/lease.js';
import {
  getInstallation,
  installationsVersion,
  listInstallations,
  rotateTokens,
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
import { getPermission, recordDecision, recordWaiting } from '../../src/store/permissions.js';
import { describeUnless } from '../helpers/skip.js';

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

export function storeContract(
  name: string,
  makeTarget: () => Promise<ContractTarget>,
  skip: string | false = false,
): void {
  describeUnless(`store contract: ${name}`, skip, () => {
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
        'payload',
        'received_at',
        'status',
        'ts',
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
        'parked_calls',
        'permissions',
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
      await rotateTokens(store.db, 'versioned', 'r1', { accessToken: 'a2', refreshToken: 'r2', expiresAt: at, at });
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
      };
      await saveInstallation(store.db, row);
      await saveInstallation(store.db, { ...row, version: '1.0.2', installed_at: iso(T0 + 1) });
      assert.deepEqual(await getInstallation(other.db, 'm'), { ...row, version: '1.0.2' });
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
      await recordDecision(store.db, {
        ...key,
        granted: true,
        languageId: 'en',
        decidedAt: iso(T0 + 10),
        receivedAt: iso(T0 + 20),
      });
      await recordDecision(other.db, {
        ...key,
        granted: false,
        languageId: 'en',
        decidedAt: iso(T0 + 5),
        receivedAt: iso(T0 + 30),
      });
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

    it('makes parked calls ready on a grant and leases each to one worker, fenced by owner', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 60; i++) ids.push(await insertParkedCall(store.db, parked(i)));
      assert.equal(
        await decideParkedCalls(
          store.db,
          { memberId: 'm', tokenHash: 't1', method: 'voximplant.user.get' },
          true,
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
  });
}
