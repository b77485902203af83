import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ResumeOutcome } from '../../src/index.js';
import { claimReadyCalls } from '../../src/store/parked-calls.js';
import { eventually } from '../helpers/app.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { voximplantUser } from '../../src/emulator/rest.js';

let stack: Stack;
afterEach(() => stack?.close());

const collect = (app: Stack['app'], name = 'sync-phone-users') => {
  const outcomes: ResumeOutcome[] = [];
  app.resume(name, (outcome) => {
    outcomes.push(outcome);
  });
  return outcomes;
};
const parkVoxCall = (s: Stack, userId = 1) =>
  s.app
    .rest(s.memberId)
    .call('voximplant.user.get', { USER_ID: userId }, { whenWaiting: { park: 'sync-phone-users' } });

describe('method confirmation, end to end against the emulator', () => {
  it('binds its events after ONAPPINSTALL', async () => {
    stack = await startStack();
    const events = stack.emulator
      .portal(stack.memberId)
      .bindings.map((b) => b.event)
      .sort();
    assert.deepEqual(events, ['ONAPPMETHODCONFIRM', 'ONAPPUNINSTALL', 'ONAPPUPDATE']);
    assert.ok(
      stack.emulator.portal(stack.memberId).bindings.every((b) => b.handler === `${stack.appUrl}/bitrix24/events`),
    );
    const again = await stack.app.bind(stack.memberId);
    assert.ok(
      again.every((r) => r.status === 'already_bound'),
      'binding twice is success',
    );
  });

  it('waits, is granted, and resumes the parked call with its result', async () => {
    stack = await startStack();
    const outcomes = collect(stack.app);
    const outcome = await parkVoxCall(stack);
    assert.equal(outcome.status, 'waiting');
    assert.ok(outcome.status === 'waiting' && outcome.parkedCallId);
    assert.equal(outcome.permission.state, 'waiting');
    assert.ok(outcome.permission.requestedAt);
    assert.equal((await stack.app.calls.list())[0]?.state, 'waiting');

    const [request] = stack.emulator.waiting();
    assert.equal(request?.method, 'voximplant.user.get');
    const { deliveries } = await stack.emulator.decide(request!.id, true);
    assert.deepEqual(
      deliveries.map((d) => d.status),
      [200],
    );

    await eventually(() => outcomes.length === 1);
    assert.equal(outcomes[0]?.status, 'ok');
    assert.deepEqual(outcomes[0]?.status === 'ok' && outcomes[0].result, [voximplantUser(stack.memberId, '1')]);
    assert.equal(outcomes[0]?.callId, outcome.parkedCallId);
    const [call] = await stack.app.calls.list();
    assert.equal(call?.state, 'done');
    assert.equal(call?.continuationStatus, 'done');
    assert.deepEqual(
      call?.result,
      [{ ...voximplantUser(stack.memberId, '1'), SIP_PASSWORD: '[redacted]' }],
      'the stored result as shown, its secret redacted',
    );
    assert.equal((await stack.app.permissions(stack.memberId))[0]?.state, 'granted');
    assert.equal(stack.emulator.stats.executed.get('voximplant.user.get'), 1);

    const direct = await stack.app.rest(stack.memberId).call('voximplant.user.get', { USER_ID: 2 });
    assert.equal(direct.status, 'ok', 'the same token may now call the method directly');
  });

  it('ends the parked call as denied when the administrator denies it', async () => {
    stack = await startStack();
    const outcomes = collect(stack.app);
    const outcome = await parkVoxCall(stack);
    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, false);
    await eventually(() => outcomes.length === 1);
    assert.equal(outcomes[0]?.status, 'denied');
    assert.equal(outcomes[0]?.callId, outcome.status === 'waiting' ? outcome.parkedCallId : -1);
    assert.equal((await stack.app.calls.list())[0]?.state, 'denied');
    assert.equal((await stack.app.permissions())[0]?.state, 'denied');
    assert.equal(stack.emulator.stats.executed.get('voximplant.user.get') ?? 0, 0, 'a denied call is never replayed');
    const again = await stack.app.rest(stack.memberId).call('voximplant.user.get', { USER_ID: 1 });
    assert.equal(again.status, 'denied', 'the portal keeps refusing that token');
  });

  it('re-issues a call whose token was refreshed before the decision, and keeps it parked under the new token', async () => {
    stack = await startStack();
    const outcomes = collect(stack.app);
    const first = await parkVoxCall(stack);
    const oldFingerprint = first.status === 'waiting' ? first.permission.tokenFingerprint : '';
    stack.emulator.expireTokens(stack.memberId);
    assert.equal((await stack.app.rest(stack.memberId).call('app.info')).status, 'ok', 'the app refreshes its token');

    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
    const rewaiting = await eventually(async () => {
      const [call] = await stack.app.calls.list();
      return call?.state === 'waiting' && call.tokenFingerprint !== oldFingerprint ? call : undefined;
    });
    assert.equal(outcomes.length, 0, 'nothing resumed yet');
    const permissions = await stack.app.permissions(stack.memberId);
    assert.deepEqual(permissions.map((p) => [p.tokenFingerprint === oldFingerprint ? 'old' : 'new', p.state]).sort(), [
      ['new', 'waiting'],
      ['old', 'expired'],
    ]);
    const [newRequest] = stack.emulator.waiting();
    assert.ok(newRequest, 'the administrator is asked again');

    await stack.emulator.decide(newRequest.id, true);
    await eventually(() => outcomes.length === 1);
    assert.equal(outcomes[0]?.status, 'ok');
    assert.equal(outcomes[0]?.callId, rewaiting.id);
  });

  it('runs each parked call once with two workers racing over the same ready calls', async () => {
    stack = await startStack();
    const runs = new Map<number, number>();
    const count = (outcome: ResumeOutcome) => void runs.set(outcome.callId, (runs.get(outcome.callId) ?? 0) + 1);
    stack.app.resume('sync-phone-users', count);
    const second = stack.newApp();
    second.resume('sync-phone-users', count);
    await second.ready();
    const parked = [];
    for (let i = 1; i <= 120; i++) parked.push(await parkVoxCall(stack, i));
    assert.ok(parked.every((o) => o.status === 'waiting' && o.parkedCallId));
    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
    await eventually(() => runs.size === 120, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(
      [...runs.values()].every((n) => n === 1),
      'each continuation ran once',
    );
    assert.equal(stack.emulator.stats.executed.get('voximplant.user.get'), 120, 'each REST replay ran once');
  });

  it('takes over the calls of a worker that died holding their lease', async () => {
    stack = await startStack();
    // From here on, an instance without workers receives the events.
    const receiverOnly = stack.newApp({ workers: false });
    stack.serve(receiverOnly);
    await stack.app.close();
    for (let i = 1; i <= 3; i++)
      await receiverOnly
        .rest(stack.memberId)
        .call('voximplant.user.get', { USER_ID: i }, { whenWaiting: { park: 'sync-phone-users' } });
    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
    await eventually(async () => (await receiverOnly.calls.list({ state: 'ready' })).length === 3);
    // A worker claims the ready calls and dies before it sends anything.
    const now = Date.now();
    const claimed = await claimReadyCalls(
      receiverOnly.store,
      { owner: 'dead-worker', now: new Date(now).toISOString(), until: new Date(now + 1500).toISOString() },
      50,
    );
    assert.equal(claimed.length, 3);

    const survivor = stack.newApp({ parkedCalls: { leaseMs: 1500, pollMs: 20, retryDelayMs: 20 } });
    const outcomes = collect(survivor);
    await survivor.ready();
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (Date.now() < now + 1500) assert.equal(outcomes.length, 0, 'the lease holds while it lasts');
    await eventually(() => outcomes.length === 3, 5000);
    assert.ok(outcomes.every((o) => o.status === 'ok'));
    assert.equal(stack.emulator.stats.executed.get('voximplant.user.get'), 3);
  });

  it('keeps a waiting call visible when nothing decides it', async () => {
    stack = await startStack();
    await parkVoxCall(stack);
    const [call] = await stack.app.calls.list({ memberId: stack.memberId });
    assert.equal(call?.state, 'waiting');
    assert.equal(call?.finishedAt, null);
    assert.equal(call?.method, 'voximplant.user.get');
  });
});
