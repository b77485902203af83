import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MethodNotFound, QueryLimitExceeded, type B24App } from '../../src/index.js';
import { LeakyBucket } from '../../src/protocol/index.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
afterEach(() => stack?.close());

const storedTokens = (app: B24App, memberId: string) =>
  app.store.db
    .selectFrom('installations')
    .select(['access_token', 'refresh_token', 'access_expires_at'])
    .where('member_id', '=', memberId)
    .executeTakeFirstOrThrow();

describe('REST client against the emulator', () => {
  it('refreshes an expired token once for many concurrent calls and stores the new pair', async () => {
    stack = await startStack();
    const before = await storedTokens(stack.app, stack.memberId);
    const refreshes = stack.emulator.authority.refreshes;
    stack.emulator.expireTokens(stack.memberId);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => stack.app.rest(stack.memberId).call('app.info')),
    );
    assert.ok(outcomes.every((o) => o.status === 'ok'));
    assert.equal(stack.emulator.authority.refreshes - refreshes, 1, 'one refresh for all ten calls');
    const after = await storedTokens(stack.app, stack.memberId);
    assert.notEqual(after.access_token, before.access_token);
    assert.notEqual(after.refresh_token, before.refresh_token);
  });

  it("lets two instances refresh at once: the one that loses the race uses the winner's tokens", async () => {
    stack = await startStack();
    const other = stack.newApp();
    await other.ready();
    stack.emulator.expireTokens(stack.memberId);
    const refreshes = stack.emulator.authority.refreshes;
    const outcomes = await Promise.all([
      stack.app.rest(stack.memberId).call('app.info'),
      other.rest(stack.memberId).call('app.info'),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['ok', 'ok'],
    );
    assert.equal(stack.emulator.authority.refreshes - refreshes, 1);
  });

  it('refreshes a token that has expired by the clock before sending', async () => {
    stack = await startStack({ app: { rest: { expirySkewMs: 0 } } });
    // By the app's clock the stored token has expired (the portal would still take it): it must refresh first.
    await stack.app.store.db
      .updateTable('installations')
      .set({ access_expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute();
    const refreshes = stack.emulator.authority.refreshes;
    const expiredAnswers = stack.emulator.stats.restRequests;
    assert.equal((await stack.app.rest(stack.memberId).call('app.info')).status, 'ok');
    assert.equal(stack.emulator.stats.restRequests - expiredAnswers, 1, 'no request went out with the expired token');
    assert.equal(stack.emulator.authority.refreshes - refreshes, 1);
  });

  it('rejects with typed errors', async () => {
    stack = await startStack();
    await assert.rejects(stack.app.rest(stack.memberId).call('no.such.method'), (e: MethodNotFound) => {
      assert.ok(e instanceof MethodNotFound);
      assert.equal(e.code, 'ERROR_METHOD_NOT_FOUND');
      assert.equal(e.status, 404);
      return true;
    });
    await assert.rejects(stack.app.rest('unknown-member').call('app.info'), /no installation is known/);
  });

  it('splits a batch of 120 commands into three requests', async () => {
    stack = await startStack();
    const before = stack.emulator.stats.byMethod.get('batch') ?? 0;
    const answer = await stack.app
      .rest(stack.memberId)
      .batch(
        Array.from({ length: 120 }, (_, i) => ['voximplant.user.get', { USER_ID: i }] as [string, { USER_ID: number }]),
      );
    assert.equal((stack.emulator.stats.byMethod.get('batch') ?? 0) - before, 3);
    assert.equal(Object.keys(answer.resultError).length, 120, 'the method waits for confirmation, per command');
    assert.equal(answer.resultError['119']?.error, 'METHOD_CONFIRM_WAITING');
  });

  it('paces itself under the portal limit: no QUERY_LIMIT_EXCEEDED', async () => {
    const limit = { perSecond: 10, burst: 5 };
    // The client keeps three places spare: on a loaded machine requests it spaced out can reach the portal together
    // (the emulator shares this process's event loop), and three places cover 300 ms of it standing still.
    stack = await startStack({
      emulator: { rateLimit: limit },
      app: { rest: { rateLimit: { perSecond: 10, burst: 2 } } },
    });
    stack.emulator.portal(stack.memberId).limits.bucket = new LeakyBucket(limit);
    await Promise.all(Array.from({ length: 25 }, () => stack.app.rest(stack.memberId).call('app.info')));
    assert.equal(stack.emulator.stats.rateLimited, 0);
  });

  it('backs off and retries when the portal says QUERY_LIMIT_EXCEEDED, within a bound', async () => {
    const portalLimit = { perSecond: 10, burst: 3 };
    stack = await startStack({
      emulator: { rateLimit: portalLimit },
      app: { rest: { rateLimit: { perSecond: 1000, burst: 1000 }, retryDelayMs: 100, maxRetries: 6 } }, // full-jitter pauses: six tries leave room
    });
    stack.emulator.portal(stack.memberId).limits.bucket = new LeakyBucket(portalLimit);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => stack.app.rest(stack.memberId).call('app.info')),
    );
    assert.ok(outcomes.every((o) => o.status === 'ok'));
    assert.ok(stack.emulator.stats.rateLimited > 0, 'the portal did refuse some');

    const strict = stack.newApp({
      rest: { rateLimit: { perSecond: 1000, burst: 1000 }, retryDelayMs: 1, maxRetries: 0 },
    });
    stack.emulator.portal(stack.memberId).limits.bucket = new LeakyBucket({ perSecond: 0.001, burst: 1 });
    await strict.rest(stack.memberId).call('app.info');
    await assert.rejects(strict.rest(stack.memberId).call('app.info'), QueryLimitExceeded);
  });
});
