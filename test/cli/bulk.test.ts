/** `inbox replay --status failed` and `calls retry ID|--failed`: failed work sent back, and a running server finishes it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { injectFaults } from '../helpers/faults.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let failing = true;
let callId = 0;

before(async () => {
  stack = await startStack({
    app: {
      inbox: { pollMs: 20, retryDelayMs: 20, maxRetryDelayMs: 50, maxAttempts: 1 },
      parkedCalls: { pollMs: 20, retryDelayMs: 20, maxRetryDelayMs: 50, maxReplayAttempts: 1 },
      rest: { retryDelayMs: 20, maxRetries: 0, rateLimit: { perSecond: 200, burst: 200 } },
    },
  });
  stack.app.on('ONAPPMETHODCONFIRM', () => {
    if (failing) throw new Error('the CRM is away');
  });
  const faults = injectFaults(stack.emulatorServer);
  const outcome = await stack.app
    .rest(stack.memberId)
    .call('voximplant.user.get', { USER_ID: 1 }, { whenWaiting: { park: 'sync' } });
  assert.ok(outcome.status === 'waiting' && outcome.parkedCallId);
  callId = outcome.parkedCallId;
  faults.mode = 'server-error';
  await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
  await eventually(
    async () =>
      (await stack.app.calls.get(callId))?.state === 'failed' &&
      (await stack.app.inbox.list({ status: 'failed' })).length === 1,
  );
  faults.mode = 'pass';
  failing = false;
});
after(() => stack.close());

const cli = (args: string[]) => runCli([...args, '--db', stack.dbPath]);

describe('bulk actions in the CLI', () => {
  it('inbox replay needs an ID or --status failed, not both', async () => {
    const [none, both] = await Promise.all([
      cli(['inbox', 'replay']),
      cli(['inbox', 'replay', '1', '--status', 'failed']),
    ]);
    assert.equal(none.code, 1);
    assert.equal(both.code, 1);
  });

  it('inbox replay --status failed --event E replays only the failed events of that event', async () => {
    const other = await cli(['inbox', 'replay', '--status', 'failed', '--event', 'ONCRMDEALADD']);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /No failed events match/);
    const result = await cli([
      'inbox',
      'replay',
      '--status',
      'failed',
      '--event',
      'ONAPPMETHODCONFIRM',
      '--member-id',
      stack.memberId,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 failed event queued again/);
    await eventually(async () => (await stack.app.inbox.list({ status: 'failed' })).length === 0);
  });

  it('calls retry refuses an unknown id and a call that is not failed, and retries a failed one', async () => {
    const unknown = await cli(['calls', 'retry', '999']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /parked call 999 does not exist/);
    const retried = await cli(['calls', 'retry', '--failed']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, new RegExp(`1 failed call ready again \\(${callId}\\)`));
    await eventually(async () => (await stack.app.calls.get(callId))?.state === 'done');
    const again = await cli(['calls', 'retry', String(callId)]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is done: only a failed call can be retried/);
  });
});
