/** Every metric /metrics promises moves when its event happens, and no label holds a member_id or a secret. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/server/server.js';
import { getInstallation } from '../../src/store/installations.js';
import { methodConfirmGranted } from '../fixtures/bodies.js';
import { eventually } from '../helpers/app.js';
import { injectFaults, type Faults } from '../helpers/faults.js';
import { freePort } from '../helpers/ports.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let server: FastifyInstance;
let faults: Faults;
let text = '';
let release: () => void = () => {};

const scrape = async () => (text = (await server.inject({ url: '/metrics' })).body);
/** The value of one series (labels in the order prom-client prints them), 0 when absent. */
function value(name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z0-9_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return 0;
}
const moved = async (read: () => number, act: () => Promise<unknown>) => {
  await scrape();
  const before = read();
  await act();
  await eventually(async () => (await scrape(), read() > before));
};

before(async () => {
  stack = await startStack({
    app: { rest: { retryDelayMs: 20, maxRetries: 0, rateLimit: { perSecond: 200, burst: 200 } } },
  });
  faults = injectFaults(stack.emulatorServer);
  server = await createServer(stack.app);
});
after(async () => {
  release();
  await server.close();
  await stack.close();
});

describe('metrics', () => {
  it('counts deliveries by event and outcome, refusals by reason, and the ingest latency', async () => {
    await scrape();
    assert.equal(value('b24_events_received_total', { event: 'ONAPPINSTALL', outcome: 'accepted' }), 1);
    await moved(
      () => value('b24_events_refusals_total', { reason: 'unknown_portal' }),
      () =>
        stack.app.handle({
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: methodConfirmGranted,
        }),
    );
    assert.ok(value('b24_events_received_total', { event: 'ONAPPMETHODCONFIRM', outcome: 'unknown_portal' }) >= 1);
    assert.ok(value('b24_events_ingest_duration_seconds_count', { status: '403' }) >= 1);
    assert.ok(value('b24_events_ingest_duration_seconds_count', { status: '200' }) >= 1);
  });

  it('counts REST calls by method and outcome with their latency, parked calls by state, and handler runs, failures and duration', async () => {
    let fail = true;
    stack.app.on('ONAPPMETHODCONFIRM', () => {
      if (fail) {
        fail = false;
        throw new Error('once');
      }
    });
    await moved(
      () => value('b24_events_rest_calls_total', { method: 'voximplant.user.get', outcome: 'waiting' }),
      () => stack.app.rest(stack.memberId).call('voximplant.user.get', { USER_ID: 1 }, { whenWaiting: { park: 'm' } }),
    );
    assert.ok(value('b24_events_rest_call_duration_seconds_count', { method: 'voximplant.user.get' }) >= 1);
    assert.equal(value('b24_events_parked_calls', { state: 'waiting' }), 1);
    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
    await eventually(async () => (await scrape(), value('b24_events_parked_calls', { state: 'done' }) === 1));
    assert.ok(
      value('b24_events_rest_calls_total', { method: 'batch', outcome: 'ok' }) >= 1,
      'the replay went out in a batch',
    );
    await eventually(
      async () => (
        await scrape(), value('b24_events_handler_runs_total', { event: 'ONAPPMETHODCONFIRM', outcome: 'done' }) === 1
      ),
    );
    assert.equal(value('b24_events_handler_runs_total', { event: 'ONAPPMETHODCONFIRM', outcome: 'retry' }), 1);
    assert.equal(value('b24_events_handler_failures_total', { event: 'ONAPPMETHODCONFIRM' }), 1);
    assert.equal(value('b24_events_handler_duration_seconds_count', { event: 'ONAPPMETHODCONFIRM' }), 2);
  });

  it('counts token refreshes that worked and that failed, and failures by reason', async () => {
    stack.emulator.expireTokens(stack.memberId);
    await moved(
      () => value('b24_events_token_refreshes_total', { outcome: 'ok' }),
      () => stack.app.rest(stack.memberId).call('profile'),
    );
    // The OAuth server away (a 502 page): a failure that leaves the installation active (invalid_grant would not).
    faults.mode = 'oauth-down';
    stack.emulator.expireTokens(stack.memberId);
    await moved(
      () => value('b24_events_token_refreshes_total', { outcome: 'failed' }),
      () =>
        stack.app
          .rest(stack.memberId)
          .call('profile')
          .catch(() => undefined),
    );
    assert.ok(value('b24_events_token_refresh_failures_total', { reason: 'oauth_error' }) >= 1);
    faults.mode = 'pass';
  });

  it('reads the inbox backlog, its oldest waiting age and installations by status from the store on each scrape', async () => {
    await scrape();
    assert.equal(value('b24_events_installations', { status: 'active' }), 1);
    assert.equal(value('b24_events_inbox_backlog'), 0);
    const held = new Promise<void>((resolve) => (release = resolve));
    stack.app.on('ONAPPMETHODCONFIRM', () => held);
    await stack.app.rest(stack.memberId).call('voximplant.user.get', { USER_ID: 2 }, { whenWaiting: { park: 'm' } });
    await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
    await eventually(async () => (await scrape(), value('b24_events_inbox_backlog') === 1));
    await eventually(async () => (await scrape(), value('b24_events_inbox_oldest_pending_age_seconds') > 0));
    release();
    await eventually(async () => (await scrape(), value('b24_events_inbox_backlog') === 0));
  });

  it('holds no member_id and no token in any label', async () => {
    await scrape();
    const row = await getInstallation(stack.app.store.db, stack.memberId);
    for (const secret of [stack.memberId, row!.application_token, row!.access_token!, row!.refresh_token!])
      assert.ok(!text.includes(secret));
  });

  it('serves /metrics on METRICS_PORT alone when one is given', async () => {
    const port = await freePort();
    const other = await createServer(stack.newApp(), { metricsPort: port });
    await other.listen({ port: 0, host: '127.0.0.1' });
    assert.equal((await other.inject({ url: '/metrics' })).statusCode, 404);
    const answer = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /b24_events_received_total|b24_events_inbox_backlog/);
    await other.close();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
  });
});
