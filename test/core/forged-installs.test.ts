/**
 * Forged installs must not turn the app into a client that floods the OAuth server with its client secret: proving
 * installs is rate limited, capped and remembers failures, and genuine events keep being answered meanwhile.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import * as bodies from '../fixtures/bodies.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CLIENT_ID, CLIENT_SECRET } from '../helpers/oauth.js';

/** An OAuth server that refuses every refresh, slowly, and counts what it is sent. */
let server: Server;
let url = '';
const seen = { requests: 0, open: 0, mostOpen: 0 };
before(async () => {
  server = createServer((_req, res) => {
    seen.requests++;
    seen.mostOpen = Math.max(seen.mostOpen, ++seen.open);
    setTimeout(() => {
      seen.open--;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
    }, 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

let t: TestApp;
afterEach(() => t.close());

const forged = (i: number) =>
  bodies
    .atOAuthServer(bodies.install(`forged-${i}`), `${url}/rest/`)
    .replaceAll(bodies.MEMBER_ID, i.toString(16).padStart(32, '0'));

describe('a flood of forged installs', () => {
  it('causes a bounded number of OAuth requests, a few at a time, while genuine events are answered', async () => {
    t = createTestApp({ oauthUrl: url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    await t.app.installations.add({
      memberId: bodies.MEMBER_ID,
      domain: bodies.DOMAIN,
      applicationToken: bodies.APPLICATION_TOKEN,
    });
    Object.assign(seen, { requests: 0, open: 0, mostOpen: 0 });
    const started = Date.now();
    const flood = Promise.all(Array.from({ length: 400 }, (_, i) => t.post(forged(i))));
    const genuine = await t.post(bodies.methodConfirmGranted);
    const answers = await flood;
    const seconds = (Date.now() - started) / 1000;
    assert.equal(genuine.status, 200, 'a genuine event is answered during the flood');
    assert.deepEqual([...new Set(answers.map((a) => a.status))].sort(), [403, 503]);
    assert.ok(
      answers.every((a) => typeof a.json.error === 'string' && !JSON.stringify(a.json).includes(CLIENT_SECRET)),
    );
    assert.ok(seen.mostOpen <= 4, `at most 4 requests at once (saw ${seen.mostOpen})`);
    assert.ok(seen.requests <= 20 + Math.ceil(5 * seconds) + 1, `${seen.requests} requests in ${seconds.toFixed(1)} s`);
    assert.deepEqual(await t.app.installations.list().then((list) => list.length), 1, 'nothing forged was stored');
  });

  it('refuses a refresh token that just failed without asking the OAuth server again', async () => {
    t = createTestApp({ oauthUrl: url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    Object.assign(seen, { requests: 0 });
    assert.equal((await t.post(forged(1))).status, 403);
    assert.equal((await t.post(forged(1).replace('ts=1478790000', 'ts=1478790001'))).status, 403);
    assert.equal(seen.requests, 1);
  });
});
