/** Who may see and change what through the dashboard: tokens, sessions, CSRF, Origin, rate limits, bad input. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/server/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const TOKEN = 'dash-3b7e91c4d2a85f60';
const ORIGIN = 'http://localhost:80';
const FORM = 'application/x-www-form-urlencoded';
let t: TestApp;
let server: FastifyInstance;
let cookie: string;
let csrf: string;

const signIn = (token: string, ip = '10.0.0.1') =>
  server.inject({
    method: 'POST',
    url: '/signin',
    remoteAddress: ip,
    headers: { 'content-type': FORM, origin: ORIGIN },
    payload: `token=${encodeURIComponent(token)}`,
  });

before(async () => {
  t = createTestApp();
  server = await createServer(t.app, { dashboardToken: TOKEN });
  const answer = await signIn(TOKEN);
  assert.equal(answer.statusCode, 303);
  cookie = String(answer.headers['set-cookie']).split(';')[0]!;
  csrf = /name="csrf" value="([^"]+)"/.exec((await server.inject({ url: '/inbox', headers: { cookie } })).body)![1]!;
});
after(async () => {
  await server.close();
  await t.close();
});

describe('dashboard access', () => {
  it('without DASHBOARD_TOKEN the dashboard is off: / says how to turn it on and the API answers 404', async () => {
    const off = await createServer(createTestApp().app);
    const page = await off.inject({ url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /DASHBOARD_TOKEN/);
    assert.doesNotMatch(page.body, /<table/);
    const api = await off.inject({ url: '/api/inbox', headers: { authorization: 'Bearer anything' } });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().error, 'dashboard_off');
    assert.equal((await off.inject({ url: '/portals' })).statusCode, 404);
    await off.close();
  });

  it('answers pages with the sign-in form (401) and the API with 401 JSON when not signed in', async () => {
    const page = await server.inject({ url: '/portals' });
    assert.equal(page.statusCode, 401);
    assert.match(page.body, /Sign in/);
    const api = await server.inject({ url: '/api/installations' });
    assert.equal(api.statusCode, 401);
    assert.equal(api.json().error, 'unauthorized');
  });

  it('sets an HttpOnly SameSite=Strict cookie holding an HMAC, not the token', async () => {
    const answer = await signIn(TOKEN, '10.0.0.2');
    const set = String(answer.headers['set-cookie']);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    assert.ok(!set.includes(TOKEN));
  });

  it('refuses a wrong token (401) and a forged or tampered cookie (401)', async () => {
    const wrong = await signIn('wrong', '10.0.0.3');
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /not the dashboard token/);
    assert.ok(!wrong.body.includes('wrong"'));
    for (const forged of ['b24_dashboard=abc.def', `${cookie.slice(0, -2)}xx`, `b24_dashboard=${TOKEN}`]) {
      assert.equal((await server.inject({ url: '/inbox', headers: { cookie: forged } })).statusCode, 401, forged);
    }
  });

  it('rate limits sign-in attempts: the sixth in a minute from one address is 429', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await signIn(i === 5 ? TOKEN : 'guess', '10.0.0.9')).statusCode);
    assert.deepEqual(codes, [401, 401, 401, 401, 401, 429]);
    assert.equal((await signIn(TOKEN, '10.0.0.10')).statusCode, 303, 'another address is not held back');
  });

  it('takes Authorization: Bearer on the API only, and a wrong one is 401', async () => {
    const ok = await server.inject({ url: '/api/inbox', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), []);
    assert.equal(
      (await server.inject({ url: '/api/inbox', headers: { authorization: 'Bearer nope' } })).statusCode,
      401,
    );
    assert.equal(
      (await server.inject({ url: '/inbox', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode,
      401,
    );
  });

  it('refuses actions without the CSRF token or from another origin (403), and unknown ids are 404', async () => {
    const post = (url: string, payload: string, origin = ORIGIN) =>
      server.inject({ method: 'POST', url, headers: { cookie, origin, 'content-type': FORM }, payload });
    assert.equal((await post('/inbox/1/replay', '')).statusCode, 403);
    assert.equal((await post('/inbox/1/replay', 'csrf=forged')).statusCode, 403);
    assert.equal((await post('/inbox/1/replay', `csrf=${csrf}`, 'https://evil.example')).statusCode, 403);
    assert.equal((await post('/calls/1/retry', `csrf=${csrf}`, 'https://evil.example')).statusCode, 403);
    assert.equal((await post('/inbox/999/replay', `csrf=${csrf}`)).statusCode, 404);
    assert.equal((await post('/calls/999/retry', `csrf=${csrf}`)).statusCode, 404);
    assert.equal((await server.inject({ url: '/inbox/999', headers: { cookie } })).statusCode, 404);
    assert.equal((await server.inject({ url: '/inbox/abc', headers: { cookie } })).statusCode, 404);
  });

  it('answers a bad filter with 400 naming the field, on pages and the API', async () => {
    const page = await server.inject({ url: '/inbox?status=bogus', headers: { cookie } });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /status/);
    const api = await server.inject({ url: '/api/calls?state=bogus', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(api.statusCode, 400);
    assert.equal(api.json().error, 'bad_query');
  });

  it('logs no dashboard token', () => {
    assert.ok(t.logs.length > 0);
    assert.ok(!t.logs.join('').includes(TOKEN));
  });
});
