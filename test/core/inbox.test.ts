import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as bodies from '../fixtures/bodies.js';
import { createTestApp, eventually, type TestApp } from '../helpers/app.js';

let t: TestApp;
afterEach(() => t.close());

async function appWith(options: Parameters<typeof createTestApp>[0] = {}) {
  t = createTestApp(options);
  await t.app.installations.add({
    memberId: bodies.MEMBER_ID,
    domain: bodies.DOMAIN,
    applicationToken: bodies.APPLICATION_TOKEN,
  });
  return t;
}

describe('handlers run from the inbox, after the answer', () => {
  it('gives the handler the normalised, typed event', async () => {
    await appWith();
    const seen: unknown[] = [];
    t.app.on('ONAPPMETHODCONFIRM', (event, ctx) => {
      seen.push({
        method: event.data.method,
        confirmed: event.data.confirmed,
        ts: event.ts.getTime(),
        attempt: ctx.attempt,
      });
    });
    await t.post(bodies.methodConfirmGranted);
    await eventually(() => seen.length === 1);
    assert.deepEqual(seen, [{ method: 'voximplant.user.get', confirmed: true, ts: 1478790852000, attempt: 1 }]);
    await eventually(async () => (await t.app.inbox.list())[0]?.status === 'done');
  });

  it('matches handler names without regard to case', async () => {
    await appWith();
    let ran = false;
    t.app.on('onCrmDealAdd', (event) => {
      ran = (event.data as { FIELDS: { ID: string } }).FIELDS.ID === '42';
    });
    await t.post(bodies.dealAdd);
    await eventually(() => ran);
  });

  it('answers before a slow handler finishes, and the handler still runs', async () => {
    await appWith();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    t.app.on('ONAPPMETHODCONFIRM', async () => {
      await gate;
      finished = true;
    });
    const answer = await t.post(bodies.methodConfirmGranted);
    assert.equal(answer.status, 200);
    assert.equal(finished, false);
    await eventually(async () => (await t.app.inbox.list())[0]?.status === 'processing');
    release();
    await eventually(async () => (await t.app.inbox.list())[0]?.status === 'done');
    assert.equal(finished, true);
  });

  it('does not change the answer when a handler throws', async () => {
    await appWith({ inbox: { maxAttempts: 1 } });
    t.app.on('ONAPPMETHODCONFIRM', () => {
      throw new Error('boom');
    });
    assert.equal((await t.post(bodies.methodConfirmGranted)).status, 200);
  });

  it('retries a failing handler with backoff, then leaves the event failed with a redacted error', async () => {
    await appWith({ inbox: { maxAttempts: 3 } });
    const attempts: number[] = [];
    t.app.on('ONAPPMETHODCONFIRM', (_event, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error(`portal said no to token ${bodies.APPLICATION_TOKEN}`);
    });
    await t.post(bodies.methodConfirmGranted);
    const entry = await eventually(async () => {
      const [e] = await t.app.inbox.list();
      return e?.status === 'failed' ? e : undefined;
    });
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(entry.attempts, 3);
    assert.equal(entry.lastError, 'Error: portal said no to token [redacted]');
    assert.ok(!t.logs.join('').includes(bodies.APPLICATION_TOKEN));
  });

  it('succeeds on a retry after a failure', async () => {
    await appWith({ inbox: { maxAttempts: 5 } });
    let calls = 0;
    t.app.on('ONAPPMETHODCONFIRM', () => {
      calls++;
      if (calls < 3) throw new Error('not yet');
    });
    await t.post(bodies.methodConfirmGranted);
    const entry = await eventually(async () => {
      const [e] = await t.app.inbox.list();
      return e?.status === 'done' ? e : undefined;
    });
    assert.equal(entry.attempts, 3);
    assert.equal(entry.lastError, null);
  });

  it('counts a handler that runs past its time as failed', async () => {
    await appWith({ inbox: { maxAttempts: 1, handlerTimeoutMs: 50 } });
    let aborted = false;
    t.app.on(
      'ONAPPMETHODCONFIRM',
      (_event, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
    );
    await t.post(bodies.methodConfirmGranted);
    const entry = await eventually(async () => {
      const [e] = await t.app.inbox.list();
      return e?.status === 'failed' ? e : undefined;
    });
    assert.match(entry.lastError ?? '', /ran past 50 ms/);
    assert.equal(aborted, true);
  });

  it('replays a failed event on demand', async () => {
    await appWith({ inbox: { maxAttempts: 1 } });
    let fail = true;
    let runs = 0;
    t.app.on('ONAPPMETHODCONFIRM', () => {
      runs++;
      if (fail) throw new Error('down');
    });
    await t.post(bodies.methodConfirmGranted);
    const failed = await eventually(async () => (await t.app.inbox.list({ status: 'failed' }))[0]);
    fail = false;
    assert.equal(await t.app.inbox.replay(failed.id), true);
    await eventually(async () => (await t.app.inbox.list())[0]?.status === 'done');
    assert.equal(runs, 2);
    assert.equal(await t.app.inbox.replay(999), false);
  });

  it('close() waits for running handlers', async () => {
    await appWith();
    let finished = false;
    t.app.on('ONAPPMETHODCONFIRM', async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = true;
    });
    await t.post(bodies.methodConfirmGranted);
    await eventually(async () => (await t.app.inbox.list())[0]?.status === 'processing');
    await t.app.close();
    assert.equal(finished, true);
    t = createTestApp();
  });

  it('runs the handlers of events stored before a restart', async () => {
    t = createTestApp({ workers: false });
    await t.app.installations.add({
      memberId: bodies.MEMBER_ID,
      domain: bodies.DOMAIN,
      applicationToken: bodies.APPLICATION_TOKEN,
    });
    await t.post(bodies.methodConfirmGranted);
    await t.app.close();
    const { createApp } = await import('../../src/index.js');
    const { sqliteStore } = await import('../../src/store/sqlite.js');
    const restarted = createApp({ store: sqliteStore(t.dbPath), logger: { level: 'silent' }, inbox: { pollMs: 20 } });
    let ran = false;
    restarted.on('ONAPPMETHODCONFIRM', () => {
      ran = true;
    });
    await restarted.ready();
    await eventually(() => ran);
    await restarted.close();
    t = createTestApp();
  });
});
