/**
 * The portal's limits (docs/protocol.md#77-limits) against the emulator: OPERATION_TIME_LIMIT blocks a method for the
 * portal and every instance waits it out (parked calls without spending attempts), `time.operating` stops the client
 * before the portal has to refuse, and OVERLOAD_LIMIT is final.
 *
 * "A 60 s block" is played at 1/30 of its length unless TEST_FULL=1: the emulator's baskets (60 s) and the block are
 * 60 × SCALE seconds, and so is the app's default block when the portal names no end (`rest.operationBlockMs`, one
 * basket), so the app meets the block, waits, finds it still there or gone, exactly as over a real minute.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { OperationTimeLimit, Overloaded, type ResumeOutcome } from '../../src/index.js';
import { eventually } from '../helpers/app.js';
import { startStack, type Stack } from '../helpers/stack.js';

const SCALE = process.env.TEST_FULL === '1' ? 1 : 1 / 30;
const METHOD = 'voximplant.user.get';

let stack: Stack;
afterEach(() => stack?.close());

/** Parks `count` calls of METHOD through `app` and answers their ids (one prompt for the token and method). */
async function park(count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i += 50) {
    const outcomes = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) =>
        stack.app.rest(stack.memberId).call(METHOD, { USER_ID: i + k + 1 }, { whenWaiting: { park: 'sync' } }),
      ),
    );
    for (const o of outcomes) ids.push(o.status === 'waiting' ? o.parkedCallId! : -1);
  }
  return ids;
}

describe('OPERATION_TIME_LIMIT', () => {
  it(`200 granted parked calls survive a 60 s block of their method (played in ${60 * SCALE} s) and end done, no attempt spent`, {
    timeout: 60_000 + 600_000 * SCALE,
  }, async () => {
    stack = await startStack({
      emulator: { basketSeconds: 60 * SCALE },
      app: {
        rest: { operationBlockMs: 60_000 * SCALE, rateLimit: { perSecond: 200, burst: 200 } },
        // One replay attempt only: an attempt spent on the block would end the calls failed.
        parkedCalls: { pollMs: 250, maxReplayAttempts: 1 },
      },
    });
    const outcomes: ResumeOutcome[] = [];
    stack.app.resume('sync', (outcome) => void outcomes.push(outcome));
    const ids = await park(200);
    assert.ok(ids.every((id) => id > 0));
    const limits = stack.emulator.portal(stack.memberId).limits;
    limits.block(METHOD, 60 * SCALE);
    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);

    // The app meets the block and keeps the calls ready, telling why.
    const waiting = await eventually(async () => {
      const call = await stack.app.calls.get(ids[0]!);
      return call?.state === 'ready' && call.error?.includes('OPERATION_TIME_LIMIT') ? call : undefined;
    }, 10_000);
    assert.equal(waiting.attempts, 0, 'the refused replay gave its attempt back');

    await eventually(() => outcomes.length === 200, 30_000 + 600_000 * SCALE);
    assert.ok(outcomes.every((o) => o.status === 'ok'));
    const calls = await stack.app.calls.list({ limit: 500 });
    assert.deepEqual(
      [...new Set(calls.map((c) => `${c.state} after ${c.attempts} attempt(s)`))],
      ['done after 1 attempt(s)'],
    );
    assert.ok(limits.stats.operationTimeLimit > 0, 'the portal did refuse while the block lasted');
    assert.equal(stack.emulator.stats.executed.get(METHOD), 200, 'each call ran once');
  });

  it('is kept in the store: every instance rejects the method at once, with retryAt, without sending it', async () => {
    stack = await startStack();
    const other = stack.newApp();
    stack.emulator.portal(stack.memberId).limits.block('app.info', 600);
    const refused = await stack.app
      .rest(stack.memberId)
      .call('app.info')
      .catch((e: unknown) => e);
    assert.ok(refused instanceof OperationTimeLimit);
    assert.equal(refused.status, 429, 'the portal said it');
    assert.ok(refused.retryAt && refused.retryAt.getTime() > Date.now());

    const requests = stack.emulator.stats.restRequests;
    const local = await other
      .rest(stack.memberId)
      .call('app.info')
      .catch((e: unknown) => e);
    assert.ok(local instanceof OperationTimeLimit);
    assert.equal(local.status, 0, 'not sent');
    assert.match(local.message, /app\.info was not sent: .* until /);
    assert.equal(local.retryAt?.getTime(), refused.retryAt.getTime());
    assert.equal(stack.emulator.stats.restRequests, requests, 'the other instance sent nothing');
    assert.equal((await other.rest(stack.memberId).call('profile')).status, 'ok', 'other methods go on');
  });

  it("with whenBlocked: 'wait', a call waits for the block to end and then runs", async () => {
    stack = await startStack({
      emulator: { basketSeconds: 0.2 },
      app: { rest: { whenBlocked: 'wait', operationBlockMs: 300 } },
    });
    stack.emulator.portal(stack.memberId).limits.block('app.info', 0.2);
    const outcome = await stack.app.rest(stack.memberId).call('app.info');
    assert.equal(outcome.status, 'ok');
    assert.ok(stack.emulator.portal(stack.memberId).limits.stats.operationTimeLimit >= 1, 'it met the block');
  });

  it('reads time.operating and stops sending the method before the portal would block it', async () => {
    // app.info costs 100 s of its 480 s: the fifth run leaves 500 s used, past the limit.
    stack = await startStack({ emulator: { methodTime: { 'app.info': 100 } } });
    const client = stack.app.rest(stack.memberId);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await client.call('app.info'));
    const time = (answers[4] as { time: { operating: number; operating_reset_at: number } }).time;
    assert.equal(time.operating, 500);
    const sixth = await client.call('app.info').catch((e: unknown) => e);
    assert.ok(sixth instanceof OperationTimeLimit);
    assert.equal(sixth.status, 0, 'the client held it back');
    assert.ok(sixth.retryAt!.getTime() >= time.operating_reset_at * 1000, 'until the oldest basket drops out');
    assert.equal(stack.emulator.portal(stack.memberId).limits.stats.operationTimeLimit, 0, 'the portal never refused');
  });
});

describe('OVERLOAD_LIMIT', () => {
  it('rejects at once, saying a person must contact Bitrix24 support; parked calls end failed with that message', async () => {
    stack = await startStack({ app: { parkedCalls: { pollMs: 250, maxReplayAttempts: 5 } } });
    const outcomes: ResumeOutcome[] = [];
    stack.app.resume('sync', (outcome) => void outcomes.push(outcome));
    const [id] = await park(1);
    const limits = stack.emulator.portal(stack.memberId).limits;
    limits.overloaded = true;
    const refused = await stack.app
      .rest(stack.memberId)
      .call('app.info')
      .catch((e: unknown) => e);
    assert.ok(refused instanceof Overloaded);
    assert.match(refused.message, /contact Bitrix24 support/);
    assert.equal(limits.stats.overloadLimit, 1, 'no retry');

    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
    await eventually(() => outcomes.length === 1, 10_000);
    const call = await stack.app.calls.get(id!);
    assert.equal(call?.state, 'failed');
    assert.equal(call?.attempts, 1, 'not retried');
    assert.match(call?.error ?? '', /OVERLOAD_LIMIT.*contact Bitrix24 support/);
    assert.equal(outcomes[0]?.status, 'failed');
  });
});
