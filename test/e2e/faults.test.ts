/** The portal or its OAuth server misbehaving: parked calls back off and stay parked, and nothing is lost or leaked. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { eventually } from '../helpers/app.js';
import { injectFaults, type FaultMode } from '../helpers/faults.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  stack?.emulatorServer.closeAllConnections();
  await stack?.close();
  stack = undefined;
});

const app = {
  rest: { timeoutMs: 300, retryDelayMs: 20, maxRetries: 1, rateLimit: { perSecond: 200, burst: 200 } },
  parkedCalls: { pollMs: 250, retryDelayMs: 50, maxRetryDelayMs: 100, maxReplayAttempts: 50 },
};

async function parkAndAllow(s: Stack, mode: FaultMode) {
  const faults = injectFaults(s.emulatorServer);
  const outcome = await s.app
    .rest(s.memberId)
    .call('voximplant.user.get', { USER_ID: 1 }, { whenWaiting: { park: 'sync' } });
  assert.ok(outcome.status === 'waiting' && outcome.parkedCallId);
  faults.mode = mode;
  await s.emulator.decide(s.emulator.waiting()[0]!.id, true);
  return { faults, id: outcome.parkedCallId };
}

describe('faults at the portal', () => {
  for (const mode of ['hang', 'bad-gateway', 'server-error'] as const) {
    it(`a replay that meets ${mode === 'hang' ? 'a portal that never answers (timeout)' : `HTTP ${mode === 'bad-gateway' ? 502 : 500}`} backs off, stays parked, and runs once the portal answers`, async () => {
      stack = await startStack({ app });
      const { faults, id } = await parkAndAllow(stack, mode);
      const s = stack;
      await eventually(() => faults.hits.rest >= 3, 10_000);
      const during = await s.app.calls.get(id);
      assert.equal(during?.state, 'ready', 'still parked, ready for the next attempt');
      assert.ok((during?.attempts ?? 0) >= 1);
      assert.equal(s.emulator.stats.executed.get('voximplant.user.get') ?? 0, 0);
      faults.mode = 'pass';
      const done = await eventually(
        async () => ((await s.app.calls.get(id))?.state === 'done' ? s.app.calls.get(id) : undefined),
        10_000,
      );
      assert.ok(done);
      assert.equal(s.emulator.stats.executed.get('voximplant.user.get'), 1, 'ran once at the portal');
    });
  }

  it('an OAuth server that is away during a replay (502 page): the call stays parked and runs when it is back (it ended failed at once)', async () => {
    stack = await startStack({ app });
    const s = stack;
    const { faults, id } = await parkAndAllow(s, 'pass');
    faults.mode = 'oauth-down';
    s.emulator.expireTokens(s.memberId);
    await eventually(() => faults.hits.oauth >= 3, 10_000);
    assert.equal((await s.app.calls.get(id))?.state, 'ready');
    faults.mode = 'pass';
    // The refreshed token was never granted the method: the call waits again under it, still parked.
    const parked = await eventually(
      async () => ((await s.app.calls.get(id))?.state === 'waiting' ? true : undefined),
      10_000,
    );
    assert.ok(parked);
  });

  it('the OAuth server refusing the refresh (invalid_grant) during a replay: the call ends failed, its error without secrets', async () => {
    stack = await startStack({ app });
    const s = stack;
    const { faults, id } = await parkAndAllow(s, 'pass');
    const installation = await s.app.store.db.selectFrom('installations').selectAll().executeTakeFirstOrThrow();
    faults.mode = 'refuse-refresh';
    s.emulator.expireTokens(s.memberId);
    const failed = await eventually(async () => {
      const call = await s.app.calls.get(id);
      return call?.state === 'failed' ? call : undefined;
    }, 10_000);
    assert.match(String(failed.error), /invalid_grant/);
    for (const secret of [installation.access_token, installation.refresh_token])
      assert.ok(!String(failed.error).includes(secret!));
  });

  // A refusal for good (invalid_grant) is not asked again: the installation needs reinstalling (token-keepalive.test.ts).
  it('the OAuth server away during a refresh (502 page): call() rejects with a typed error that holds no token, and the portal is asked again later', async () => {
    stack = await startStack({ app });
    const s = stack;
    const faults = injectFaults(s.emulatorServer);
    faults.mode = 'oauth-down';
    s.emulator.expireTokens(s.memberId);
    const installation = await s.app.store.db.selectFrom('installations').selectAll().executeTakeFirstOrThrow();
    const error = await s.app
      .rest(s.memberId)
      .call('app.info')
      .then(
        () => assert.fail('the call succeeded with an expired token'),
        (e: unknown) => e as Error & { code?: string },
      );
    assert.ok(faults.hits.oauth >= 1);
    assert.equal(typeof error.code, 'string');
    for (const secret of [installation.access_token, installation.refresh_token, installation.application_token])
      assert.ok(!error.message.includes(secret!));
    const kept = await s.app.store.db.selectFrom('installations').selectAll().executeTakeFirstOrThrow();
    assert.equal(kept.refresh_token, installation.refresh_token, 'the stored pair is kept for the next try');
    faults.mode = 'pass';
    const outcome = await s.app.rest(s.memberId).call('app.info');
    assert.equal(outcome.status, 'ok');
  });
});
