/**
 * What real portals do that our first understanding got wrong (docs/protocol.md#7-what-real-portals-do): identical bodies that are two
 * events, two OAuth regions, the installer frame of apps with a UI, version strings, and grants for user tokens.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createApp } from '../../src/index.js';
import * as bodies from '../fixtures/bodies.js';
import { createTestApp, eventually, type TestApp } from '../helpers/app.js';
import { CLIENT_ID, CLIENT_SECRET, startFakeOAuth, type FakeOAuth } from '../helpers/oauth.js';

let west: FakeOAuth;
let east: FakeOAuth;
let foreign: FakeOAuth;
let t: TestApp;
before(async () => {
  [west, east, foreign] = await Promise.all([startFakeOAuth(), startFakeOAuth(), startFakeOAuth()]);
});
after(() => Promise.all([west.close(), east.close(), foreign.close()]));
afterEach(() => t?.close());

const app = (options: Parameters<typeof createTestApp>[0] = {}) =>
  (t = createTestApp({ oauthUrl: [west.url, east.url], clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options }));
const register = () =>
  t.app.installations.add({
    memberId: bodies.MEMBER_ID,
    domain: bodies.DOMAIN,
    applicationToken: bodies.APPLICATION_TOKEN,
  });
const runs = (calls: number[]) => async (_event: unknown, ctx: { inboxId: number }) => void calls.push(ctx.inboxId);

describe('identical bodies are merged only while the first is unhandled', () => {
  it('stores two updates of one deal in one second from two bindings and two users twice, and handles both', async () => {
    app();
    const handled: number[] = [];
    t.app.on('ONCRMDEALUPDATE', runs(handled));
    await register();
    const first = await t.post(
      bodies.dealUpdate({ handlerId: 58, userId: 1, accessToken: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6' }),
    );
    const second = await t.post(
      bodies.dealUpdate({ handlerId: 59, userId: 7, accessToken: 'f6e5d4c3b2a1f6e5d4c3b2a1f6e5d4c3' }),
    );
    assert.equal(first.json.duplicate, false);
    assert.equal(second.json.duplicate, false);
    assert.notEqual(first.json.id, second.json.id);
    await eventually(() => handled.length === 2);
  });

  it('stores a byte-identical body again once the first reached its handlers, and runs them again', async () => {
    app();
    const handled: number[] = [];
    t.app.on('ONCRMDEALUPDATE', runs(handled));
    await register();
    const first = await t.post(bodies.dealUpdate());
    await eventually(() => handled.length === 1);
    const second = await t.post(bodies.dealUpdate());
    assert.equal(second.status, 200);
    assert.equal(second.json.duplicate, false);
    assert.notEqual(second.json.id, first.json.id);
    await eventually(() => handled.length === 2);
  });

  it('joins a byte-identical body to the first while its handlers have not started (one run sees both)', async () => {
    app({ workers: false });
    await register();
    const first = await t.post(bodies.dealUpdate());
    const second = await t.post(bodies.dealUpdate());
    assert.equal(second.status, 200);
    assert.equal(second.json.duplicate, true);
    assert.equal(second.json.id, first.json.id);
    assert.equal((await t.app.inbox.list()).length, 1);
  });

  it('keeps built-in state changes idempotent: a repeated decision after handling leaves one ledger row', async () => {
    app();
    await register();
    await t.post(bodies.methodConfirmGranted);
    await eventually(async () => (await t.app.inbox.list())[0]?.status === 'done');
    assert.equal((await t.post(bodies.methodConfirmGranted)).json.duplicate, false);
    assert.equal((await t.app.permissions()).length, 1);
  });
});

describe('OAuth regions', () => {
  it('verifies an east-region install at the east server and keeps that server for the installation', async () => {
    app();
    const pair = east.issue();
    const westBefore = west.authority.refreshes;
    const answer = await t.post(east.regional(bodies.install(pair.refresh_token)));
    assert.equal(answer.status, 200);
    assert.equal(west.authority.refreshes, westBefore, 'nothing was sent to the west server');
    const row = await t.app.store.db.selectFrom('installations').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.oauth_server, east.url);
  });

  it('refuses a server_endpoint on no listed origin with 403 unknown_oauth_server naming the host, sending nothing', async () => {
    app();
    const pair = foreign.issue();
    const answer = await t.post(foreign.regional(bodies.install(pair.refresh_token)));
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'unknown_oauth_server');
    assert.match(String(answer.json.message), new RegExp(new URL(foreign.url).host));
    assert.equal(foreign.authority.refreshes, 0);
    assert.deepEqual(await t.app.inbox.list(), []);
    assert.deepEqual(await t.app.installations.list(), []);
  });

  it('fails at start, not per request, on a bad B24_OAUTH_URL list', () => {
    for (const bad of [
      'not a url',
      'https://oauth.bitrix.info/rest/',
      'ftp://oauth.bitrix.info',
      'https://a.test,https://a.test',
      ' , ',
    ]) {
      assert.throws(() => createApp({ oauthUrl: bad, workers: false }), { name: 'ConfigurationError' }, bad);
    }
  });
});

describe('the installer frame of an app with a UI', () => {
  const frame = (body: string, query = bodies.installerFrameQuery) =>
    t.app.handle({
      method: 'POST',
      url: `/bitrix24/install?${query}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml' },
      body,
    });
  /** A frame as a portal of `region` posts it, with tokens its OAuth server issued (`pair`, to look for in answers). */
  const issued = (region: FakeOAuth, fields: Partial<Parameters<typeof bodies.installerFrame>[0]> = {}) => {
    const pair = region.issue();
    const body = bodies.installerFrame({
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      serverEndpoint: region.serverEndpoint,
      ...fields,
    });
    return { pair, body };
  };

  it('proves the tokens, stores the installation and answers a page that calls BX24.installFinish()', async () => {
    app();
    const { pair, body } = issued(west);
    const answer = await frame(body);
    assert.equal(answer.status, 200);
    assert.match(answer.headers['content-type']!, /text\/html/);
    assert.match(answer.body, /<script src="https:\/\/api\.bitrix24\.com\/api\/v1\/"><\/script>/);
    assert.match(answer.body, /BX24\.installFinish\(\)/);
    assert.ok(!answer.body.includes(pair.access_token) && !answer.body.includes(bodies.APPLICATION_TOKEN));
    const installation = await t.app.installations.get(bodies.MEMBER_ID);
    assert.equal(installation?.status, 'active');
    assert.equal(installation?.domain, bodies.DOMAIN);
    // Events that carry the frame's APPLICATION_TOKEN are accepted from now on.
    assert.equal((await t.post(bodies.methodConfirmGranted)).status, 200);
    assert.equal(
      (await t.app.inbox.list({ event: 'ONAPPINSTALL' })).length,
      1,
      'the install is in the inbox, for ONAPPINSTALL handlers',
    );
  });

  it("puts the app's own content and BX24 script URL on the page", async () => {
    app({ installPage: { scriptUrl: 'http://127.0.0.1:3100/api/v1/', content: () => '<h1>Welcome to Acme</h1>' } });
    const answer = await frame(issued(west).body);
    assert.match(answer.body, /Welcome to Acme/);
    assert.match(answer.body, /src="http:\/\/127\.0\.0\.1:3100\/api\/v1\/"/);
  });

  it('refuses a frame with forged tokens with a page that says why, shows no token and stores nothing', async () => {
    app();
    const answer = await frame(
      bodies.installerFrame({
        accessToken: 'forged-access',
        refreshToken: 'forged-refresh',
        serverEndpoint: west.serverEndpoint,
      }),
    );
    assert.equal(answer.status, 403);
    assert.match(answer.headers['content-type']!, /text\/html/);
    assert.match(answer.body, /could not be proved genuine/);
    assert.ok(!answer.body.includes('forged-refresh') && !answer.body.includes(bodies.APPLICATION_TOKEN));
    assert.deepEqual(await t.app.installations.list(), []);
    assert.deepEqual(await t.app.inbox.list(), []);
  });

  it('refuses a frame without APPLICATION_TOKEN (the app page opened, not an install), naming the field', async () => {
    app();
    const answer = await frame(issued(west, { applicationToken: '' }).body);
    assert.equal(answer.status, 400);
    assert.match(answer.body, /APPLICATION_TOKEN/);
    assert.deepEqual(await t.app.installations.list(), []);
  });

  it('refuses a frame naming an OAuth server that is not listed, with nothing sent to it', async () => {
    app();
    const answer = await frame(issued(foreign).body);
    assert.equal(answer.status, 403);
    assert.match(answer.body, /unknown_oauth_server/);
    assert.equal(foreign.authority.refreshes, 0);
  });
});

describe('field shapes as portals send them', () => {
  it('accepts the docs\' ONAPPUPDATE sample with VERSION "2.0.3" and PREVIOUS_VERSION "1.0.0"', async () => {
    app();
    await register();
    const answer = await t.post(bodies.updateAsDocumented('y0t0igpbvzmqhe66jx3gl38oivif96pz'));
    assert.equal(answer.status, 200);
    assert.equal((await t.app.installations.get(bodies.MEMBER_ID))?.version, '2.0.3');
  });

  it('accepts ONAPPPAYMENT with DAYS empty or negative', async () => {
    app();
    await register();
    assert.equal((await t.post(bodies.payment.replace('DAYS%5D=30', 'DAYS%5D=-3'))).status, 200);
    assert.equal((await t.post(bodies.payment.replace('DAYS%5D=30', 'DAYS%5D='))).status, 200);
    assert.equal((await t.post(bodies.payment.replace('DAYS%5D=30', 'DAYS%5D=soon'))).status, 400);
  });
});

describe('the ledger for any token', () => {
  const decidedAgo = (ms: number) =>
    bodies.methodConfirmGranted.replace('ts=1478790852', `ts=${Math.floor((Date.now() - ms) / 1000)}`);

  it('shows a grant for a token the app never held as granted until an hour after the decision', async () => {
    app();
    // Installed through OAuth, so the app holds a token of its own, which is not the one decided on.
    assert.equal((await t.post(west.regional(bodies.install(west.issue().refresh_token)))).status, 200);
    assert.equal((await t.post(decidedAgo(10 * 60_000))).status, 200);
    assert.equal((await t.app.permissions())[0]?.state, 'granted');
  });

  it('shows it expired once that hour is over', async () => {
    app();
    await register();
    assert.equal((await t.post(decidedAgo(61 * 60_000))).status, 200);
    assert.equal((await t.app.permissions())[0]?.state, 'expired');
  });
});

describe('a decision dated in the future', () => {
  it('does not pin the ledger: a ts in the year 2223 counts as its arrival time, so a later real decision wins', async () => {
    app();
    await register();
    const farFuture = bodies.methodConfirmGranted.replace('ts=1478790852', 'ts=7955000000');
    assert.equal((await t.post(farFuture)).status, 200);
    assert.ok((await t.app.permissions())[0]!.decidedAt! <= new Date().toISOString());
    const deniedNow = bodies.decidedNow(bodies.methodConfirmDeniedLater);
    assert.equal((await t.post(deniedNow)).status, 200);
    assert.equal((await t.app.permissions())[0]?.state, 'denied');
  });
});
