import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ResumeOutcome } from '../../src/index.js';
import { eventually } from '../helpers/app.js';
import { parkCalls } from '../helpers/parked.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
after(() => stack?.close());

describe('1,000 parked calls of one portal', () => {
  it('are resumed with at most 25 REST requests and no rate-limit error', { timeout: 120_000 }, async () => {
    stack = await startStack();
    const parker = stack.newApp({ workers: false });
    stack.serve(parker);
    await stack.app.close();
    await parkCalls(parker, stack.memberId, 1000, {
      method: 'voximplant.user.get',
      park: 'bulk',
      params: (n) => ({ USER_ID: n }),
    });

    // The portal enforces Bitrix24's limit (the emulator's default), and an instance with the default client
    // settings resumes the calls.
    const resumer = stack.newApp({ rest: {}, parkedCalls: { pollMs: 50 } });
    const outcomes: ResumeOutcome[] = [];
    resumer.resume('bulk', (outcome) => void outcomes.push(outcome));
    stack.serve(resumer);
    await resumer.ready();
    const requestsBefore = stack.emulator.stats.restRequests;
    assert.equal(stack.emulator.waiting().length, 1, 'one prompt for the token and method');
    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);

    await eventually(() => outcomes.length === 1000, 60_000);
    const requests = stack.emulator.stats.restRequests - requestsBefore;
    assert.ok(requests <= 25, `${requests} REST requests`);
    assert.equal(stack.emulator.stats.rateLimited, 0);
    assert.ok(outcomes.every((o) => o.status === 'ok'));
    assert.equal(new Set(outcomes.map((o) => o.callId)).size, 1000);
    assert.equal(stack.emulator.stats.executed.get('voximplant.user.get'), 1000);
  });
});
