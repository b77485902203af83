import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import * as bodies from '../fixtures/bodies.js';
import { createTestApp, eventually, type TestApp } from '../helpers/app.js';
import { CLIENT_ID, CLIENT_SECRET, startFakeOAuth, type FakeOAuth } from '../helpers/oauth.js';

let oauth: FakeOAuth;
let t: TestApp;
before(async () => {
  oauth = await startFakeOAuth();
});
after(() => oauth.close());
beforeEach(() => {
  t = createTestApp({ oauthUrl: oauth.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});
afterEach(() => t.close());

/** Fixture bodies name oauth.bitrix.info; these tests' OAuth server is a local fake. */
const post = (body: string) => t.post(oauth.regional(body));
const installed = async () => {
  const pair = oauth.issue();
  assert.equal((await post(bodies.install(pair.refresh_token))).status, 200);
  return pair;
};
const storedRow = async () =>
  t.app.store.db
    .selectFrom('installations')
    .selectAll()
    .where('member_id', '=', bodies.MEMBER_ID)
    .executeTakeFirstOrThrow();

describe('ONAPPINSTALL, verified with the OAuth server', () => {
  it('stores the installation with the endpoints and fresh tokens of the OAuth answer', async () => {
    const pair = await installed();
    const view = await t.app.installations.get(bodies.MEMBER_ID);
    assert.equal(view?.status, 'active');
    assert.equal(view?.domain, bodies.DOMAIN);
    assert.equal(view?.version, '1');
    assert.equal(view?.clientEndpoint, `${oauth.url}/rest/`, 'the client endpoint the OAuth server named');
    const row = await storedRow();
    assert.equal(row.application_token, bodies.APPLICATION_TOKEN);
    assert.equal(row.oauth_server, oauth.url, 'the OAuth server its server_endpoint names is kept for later refreshes');
    assert.notEqual(row.refresh_token, pair.refresh_token, 'the spent refresh token is replaced by the new one');
    assert.equal(Object.hasOwn(oauth.authority.check(row.access_token!), 'memberId'), true);
    assert.ok(row.access_expires_at! > new Date().toISOString());
    // Events are now accepted with that application_token.
    assert.equal((await t.post(bodies.methodConfirmGranted)).status, 200);
  });

  it('refuses an ONAPPINSTALL whose refresh token the OAuth server does not know (403)', async () => {
    const answer = await post(bodies.install('not-a-token-the-server-issued'));
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'install_not_verified');
    assert.match(String(answer.json.message), /invalid_grant/);
    assert.equal(await t.app.installations.get(bodies.MEMBER_ID), undefined);
    assert.deepEqual(await t.app.inbox.list(), []);
  });

  it('refuses an ONAPPINSTALL whose tokens belong to another portal (403)', async () => {
    const other = oauth.issue('ffffffffffffffffffffffffffffffff');
    const answer = await post(bodies.install(other.refresh_token));
    assert.equal(answer.status, 403);
    assert.match(String(answer.json.message), /another portal/);
    assert.equal(await t.app.installations.get(bodies.MEMBER_ID), undefined);
  });

  it('refuses an ONAPPINSTALL when the app has no client credentials, saying so', async () => {
    await t.close();
    t = createTestApp({ oauthUrl: oauth.url, clientId: '', clientSecret: '' });
    const answer = await post(bodies.install(oauth.issue().refresh_token));
    assert.equal(answer.status, 403);
    assert.match(String(answer.json.message), /B24_CLIENT_ID and B24_CLIENT_SECRET/);
  });

  it('refuses an ONAPPINSTALL when the OAuth server cannot be reached', async () => {
    await t.close();
    t = createTestApp({ oauthUrl: 'http://127.0.0.1:9', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const answer = await t.post(bodies.atOAuthServer(bodies.install('whatever'), 'http://127.0.0.1:9/rest/'));
    assert.equal(answer.status, 403);
    assert.match(String(answer.json.message), /could not be reached/);
    assert.ok(!t.logs.join('').includes(CLIENT_SECRET), 'the client secret is not logged');
  });

  it('a byte-identical repeat of ONAPPINSTALL changes nothing, whether or not the first was handled', async () => {
    const refreshesBefore = oauth.authority.refreshes;
    const pair = await installed();
    const before = await storedRow();
    const again = await post(bodies.install(pair.refresh_token));
    assert.equal(again.status, 200);
    assert.deepEqual(await storedRow(), before);
    await eventually(async () => (await t.app.inbox.list()).every((e) => e.status === 'done'));
    const late = await post(bodies.install(pair.refresh_token));
    assert.equal(late.status, 200, 'a repeat after the first was handled is still genuine');
    assert.equal(late.json.duplicate, false, 'and stored as an event of its own');
    assert.deepEqual(await storedRow(), before);
    assert.equal(oauth.authority.refreshes - refreshesBefore, 1, 'the spent refresh token is not sent again');
  });

  it('an ONAPPINSTALL for an installed portal is an update: verified, it takes the new version and tokens', async () => {
    await installed();
    const before = await storedRow();
    const update = oauth.issue();
    const body = bodies
      .install(update.refresh_token)
      .replace('data%5BVERSION%5D=1', 'data%5BVERSION%5D=1.0.2')
      .replace('ts=1478790000', 'ts=1478890000');
    const answer = await post(body);
    assert.equal(answer.status, 200);
    const row = await storedRow();
    assert.equal(row.version, '1.0.2');
    assert.notEqual(row.access_token, before.access_token);
    assert.notEqual(row.refresh_token, before.refresh_token);
    assert.equal(row.application_token, bodies.APPLICATION_TOKEN, 'the application_token stays');
    assert.equal(row.installed_at, before.installed_at);
    assert.equal((await t.post(bodies.methodConfirmGranted)).status, 200);
  });

  it('refuses an update through ONAPPINSTALL whose refresh token the OAuth server does not vouch for', async () => {
    await installed();
    const before = await storedRow();
    const forged = bodies
      .install('forged-refresh-token')
      .replace('data%5BVERSION%5D=1', 'data%5BVERSION%5D=9')
      .replace('ts=1478790000', 'ts=1478890000');
    const answer = await post(forged);
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'install_not_verified');
    assert.deepEqual(await storedRow(), before);
  });

  it('keeps an installation that is not finished (INSTALLED=N) from receiving events until it is', async () => {
    const pair = oauth.issue();
    assert.equal((await post(bodies.install(pair.refresh_token, bodies.APPLICATION_TOKEN, 'N'))).status, 200);
    assert.equal((await t.app.installations.get(bodies.MEMBER_ID))?.status, 'installing');
    const refused = await t.post(bodies.methodConfirmGranted);
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error, 'installation_not_finished');
    const finished = await post(bodies.install(oauth.issue().refresh_token).replace('ts=1478790000', 'ts=1478790100'));
    assert.equal(finished.status, 200);
    assert.equal((await t.app.installations.get(bodies.MEMBER_ID))?.status, 'active');
  });
});

describe('ONAPPUPDATE and ONAPPUNINSTALL', () => {
  it('ONAPPUPDATE with the stored token takes its tokens and version', async () => {
    await installed();
    const answer = await post(bodies.update('y0t0igpbvzmqhe66jx3gl38oivif96pz'));
    assert.equal(answer.status, 200);
    const row = await storedRow();
    assert.equal(row.version, '2');
    assert.equal(row.access_token, 'u7q7fdmswjn7eb33gu0di05flsfc63mw');
    assert.equal(row.refresh_token, 'y0t0igpbvzmqhe66jx3gl38oivif96pz');
    assert.equal(row.access_expires_at, new Date(1478803600 * 1000).toISOString());
  });

  it('ONAPPUPDATE with a new application_token rotates it, once the OAuth server vouches for it', async () => {
    await installed();
    const rotated = 'd4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9';
    const answer = await post(bodies.update(oauth.issue().refresh_token, rotated));
    assert.equal(answer.status, 200);
    assert.equal((await storedRow()).application_token, rotated);
    assert.equal((await t.post(bodies.methodConfirmGranted)).json.error, 'token_mismatch');
    assert.equal((await t.post(bodies.methodConfirmGranted.replace(bodies.APPLICATION_TOKEN, rotated))).status, 200);
  });

  it('refuses an ONAPPUPDATE with a new application_token that the OAuth server does not vouch for', async () => {
    await installed();
    const answer = await post(bodies.update('forged', 'd4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9'));
    assert.equal(answer.status, 403);
    assert.equal((await storedRow()).application_token, bodies.APPLICATION_TOKEN);
  });

  it('ONAPPUNINSTALL marks the installation uninstalled and erases its OAuth tokens', async () => {
    await installed();
    const answer = await t.post(bodies.uninstall);
    assert.equal(answer.status, 200);
    const row = await storedRow();
    assert.equal(row.status, 'uninstalled');
    assert.equal(row.access_token, null);
    assert.equal(row.refresh_token, null);
    assert.ok(row.uninstalled_at);
    const repeated = await t.post(bodies.uninstall);
    assert.equal(repeated.status, 200, 'a repeated delivery is still answered 2xx');
    // It joins the first if that one's handlers have not started yet (the worker may already have claimed it while
    // the first commit was being synced); either way it changes nothing.
    assert.equal(repeated.json.duplicate, repeated.json.id === answer.json.id);
    assert.deepEqual(await storedRow(), row);
  });

  it('a reinstall after uninstall is verified again and makes the installation active', async () => {
    await installed();
    await t.post(bodies.uninstall);
    const pair = oauth.issue();
    const answer = await post(
      bodies.install(pair.refresh_token, 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1').replace('ts=1478790000', 'ts=1478900000'),
    );
    assert.equal(answer.status, 200);
    assert.equal((await t.app.installations.get(bodies.MEMBER_ID))?.status, 'active');
  });
});
