import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { decodeForm, LeakyBucket } from '../../src/protocol/index.js';

/** A leaky bucket whose clock stopped when it was made. */
class FrozenBucket extends LeakyBucket {
  private readonly at = Date.now();
  override tryTake(): boolean {
    return super.tryTake(this.at);
  }
}

/** A stand-in app that records what the portal sends it and answers 200. */
const received: { path: string; body: string }[] = [];
const app = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  received.push({ path: req.url ?? '', body });
  res.writeHead(200).end('{}');
});
let appUrl: string;
let emulator: Emulator;
let running: RunningEmulator;

before(async () => {
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  emulator = new Emulator();
  running = await serveEmulator(emulator, { appUrl });
});
after(async () => {
  await running.close();
  await new Promise<void>((resolve) => {
    app.close(() => resolve());
    app.closeAllConnections();
  });
});

const rest = async (method: string, params: Record<string, string>) => {
  const response = await fetch(`${running.url}/rest/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json()) as { result?: unknown; error?: string } };
};
const admin = async (path: string, body: object = {}) => {
  const response = await fetch(`${running.url}/admin/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const refresh = (refreshToken: string, clientSecret = EMULATOR_CLIENT_SECRET) =>
  fetch(
    `${running.url}/oauth/token/?${new URLSearchParams({ grant_type: 'refresh_token', client_id: EMULATOR_CLIENT_ID, client_secret: clientSecret, refresh_token: refreshToken })}`,
  );
const newToken = (memberId: string) =>
  emulator.authority.issue({
    memberId,
    domain: 'demo.bitrix24.test',
    clientEndpoint: `${running.url}/rest/`,
    serverEndpoint: `${running.url}/rest/`,
  }).access_token;

describe('the emulator behaves as docs/protocol.md says', () => {
  let memberId: string;
  let accessToken: string;
  let refreshToken: string;

  it('installs the app: ONAPPINSTALL form-encoded to the install URL, with fresh tokens', async () => {
    const { status, body } = await admin('install', { domain: 'demo.bitrix24.test' });
    assert.equal(status, 200);
    memberId = body.memberId as string;
    const [install] = received;
    assert.equal(install?.path, '/bitrix24/install');
    assert.match(
      install!.body,
      new RegExp(
        `^event=ONAPPINSTALL&event_handler_id=${body.installBindingId}&data%5BVERSION%5D=1&data%5BACTIVE%5D=Y&data%5BINSTALLED%5D=Y`,
      ),
    );
    const auth = (decodeForm(install!.body) as { auth: Record<string, string> }).auth;
    assert.equal(auth.member_id, memberId);
    assert.equal(auth.domain, 'demo.bitrix24.test');
    assert.equal(auth.client_endpoint, `${running.url}/rest/`);
    accessToken = auth.access_token!;
    refreshToken = auth.refresh_token!;
  });

  it('refreshes tokens once per refresh token', async () => {
    const first = await refresh(refreshToken);
    assert.equal(first.status, 200);
    const pair = (await first.json()) as { access_token: string; member_id: string; expires_in: number };
    assert.equal(pair.member_id, memberId);
    assert.equal(pair.expires_in, 3600);
    const spent = await refresh(refreshToken);
    assert.deepEqual([spent.status, await spent.json()], [400, { error: 'invalid_grant' }]);
    const wrongSecret = await refresh(pair.access_token, 'nope');
    assert.deepEqual([wrongSecret.status, await wrongSecret.json()], [400, { error: 'invalid_client' }]);
    accessToken = pair.access_token;
  });

  it('answers unknown methods with ERROR_METHOD_NOT_FOUND (404), unknown tokens invalid_token, none NO_AUTH_FOUND, expired expired_token (401)', async () => {
    assert.deepEqual(await rest('no.such.method', { auth: accessToken }), {
      status: 404,
      body: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    });
    assert.deepEqual(await rest('app.info', { auth: 'forged' }), {
      status: 401,
      body: { error: 'invalid_token', error_description: 'Unable to get application by token' },
    });
    assert.deepEqual(await rest('app.info', {}), {
      status: 401,
      body: { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' },
    });
    assert.equal((await rest('app.info', { auth: accessToken })).status, 200);
    const expiring = newToken(memberId);
    emulator.expireTokens(memberId);
    assert.deepEqual(await rest('app.info', { auth: expiring }), {
      status: 401,
      body: { error: 'expired_token', error_description: 'The access token provided has expired.' },
    });
    accessToken = newToken(memberId);
  });

  it('gates voximplant.user.get per access token: one notification, waiting until decided', async () => {
    const waiting = await rest('voximplant.user.get', { auth: accessToken });
    assert.deepEqual(waiting, {
      status: 401,
      body: { error: 'METHOD_CONFIRM_WAITING', error_description: 'Waiting for confirmation' },
    });
    assert.equal((await rest('voximplant.user.get', { auth: accessToken })).status, 401);
    assert.equal(emulator.waiting().length, 1, 'one notification, not one per call');
  });

  it('delivers ONAPPMETHODCONFIRM to bound handlers only', async () => {
    const before = received.length;
    const unbound = await admin(`requests/${emulator.waiting()[0]!.id}/allow`);
    assert.deepEqual(unbound.body.deliveries, [], 'nothing is sent without event.bind');
    assert.equal(received.length, before);
    assert.equal((await rest('voximplant.user.get', { auth: accessToken })).status, 200, 'granted for this token');

    assert.equal(
      (
        await rest('event.bind', {
          auth: accessToken,
          event: 'ONAPPMETHODCONFIRM',
          handler: `${appUrl}/bitrix24/events`,
        })
      ).body.result,
      true,
    );
    const again = await rest('event.bind', {
      auth: accessToken,
      event: 'ONAPPMETHODCONFIRM',
      handler: `${appUrl}/bitrix24/events`,
    });
    assert.deepEqual(again.body, { error: 'ERROR_CORE', error_description: 'Handler already binded' });
  });

  it('asks again for a new token and sends the decision form-encoded as Bitrix24 does', async () => {
    const token = newToken(memberId);
    assert.equal((await rest('voximplant.user.get', { auth: token })).body.error, 'METHOD_CONFIRM_WAITING');
    const before = received.length;
    await admin(`requests/${emulator.waiting()[0]!.id}/deny`);
    assert.equal(received.length, before + 1);
    const sent = received.at(-1)!;
    assert.equal(sent.path, '/bitrix24/events');
    assert.match(
      sent.body,
      new RegExp(
        `^event=ONAPPMETHODCONFIRM&event_handler_id=\\d+&data%5BTOKEN%5D=${token}&data%5BMETHOD%5D=voximplant.user.get&data%5BCONFIRMED%5D=0&data%5BLANGUAGE_ID%5D=en&ts=\\d+&auth%5Bdomain%5D=demo.bitrix24.test&auth%5Bclient_endpoint%5D=http%3A%2F%2F127.0.0.1%3A`,
      ),
    );
    assert.deepEqual(await rest('voximplant.user.get', { auth: token }), {
      status: 403,
      body: { error: 'METHOD_CONFIRM_DENIED', error_description: 'Method call denied' },
    });
  });

  it('never retries a delivery that failed', async () => {
    const token = newToken(memberId);
    await rest('event.bind', { auth: token, event: 'ONAPPUNINSTALL', handler: 'http://127.0.0.1:9/gone' });
    const { body } = await admin(`portals/${memberId}/uninstall`);
    assert.deepEqual(
      (body.deliveries as { status: unknown }[]).map((d) => d.status),
      ['failed'],
    );
    assert.equal(emulator.deliveries.filter((d) => d.url === 'http://127.0.0.1:9/gone').length, 1);
  });

  it('enforces the per-portal rate limit with QUERY_LIMIT_EXCEEDED (503)', async () => {
    const { body } = await admin('install', {});
    const token = (decodeForm(received.at(-1)!.body) as { auth: Record<string, string> }).auth.access_token!;
    const portal = emulator.portal(body.memberId as string);
    assert.equal(body.memberId, portal.memberId);
    // The portal's own limit on a clock that stands still: the 60 requests count as one instant, however slowly a
    // loaded machine gets them through (the bucket's draining over time is the leaky-bucket unit tests' business).
    portal.limits.bucket = new FrozenBucket(portal.limits.bucket!.limit);
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () => rest('app.info', { auth: token }).then((r) => r.status)),
    );
    assert.ok(statuses.includes(503));
    assert.ok(statuses.filter((s) => s === 200).length <= 50);
  });

  it('refuses admin actions it cannot do, saying why', async () => {
    assert.deepEqual(await admin('portals/nobody/uninstall'), {
      status: 400,
      body: { error: 'refused', message: 'no portal with member_id nobody' },
    });
    assert.equal((await admin('requests/999/allow')).body.message, 'no confirmation request 999');
  });
});
