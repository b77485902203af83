/**
 * A tool on a developer's machine: pages on other sites cannot drive it (Origin, Sec-Fetch-Site, CSRF token, JSON
 * only), a rebound DNS name cannot reach it (Host header), and no path takes an unbounded body.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { emulatorRig } from '../helpers/emulator-rig.js';

let port: number;
const rig = emulatorRig(undefined, async (r) => {
  port = Number(new URL(r.running.url).port);
});

/** A raw request, so that Host and Origin can be anything a browser or an attacker might send. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
  to = port,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: to,
        method,
        path,
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += String(chunk)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
const own = () => `127.0.0.1:${port}`;
const JSON_TYPE = { 'content-type': 'application/json' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the emulator answers only requests addressed to it', () => {
  it('refuses a Host that is not 127.0.0.1 or localhost with its port (421): DNS rebinding', async () => {
    for (const host of [`evil.example:${port}`, '127.0.0.1:1', 'localhost']) {
      const answer = await raw('GET', '/admin/portals', { host });
      assert.equal(answer.status, 421, host);
      assert.match(answer.body, /misdirected_request/);
    }
    assert.equal((await raw('GET', '/admin/portals', { host: `localhost:${port}` })).status, 200);
    assert.equal((await raw('GET', '/', { host: own() })).status, 200);
    const eastPort = Number(new URL(rig.running.eastUrl).port);
    assert.equal(
      (await raw('POST', '/oauth/token/', { host: own(), ...FORM }, '', eastPort)).status,
      421,
      'each listener knows its own port',
    );
  });

  it('refuses bodies over 1 MiB on every path (413)', async () => {
    const big = 'x='.padEnd(1024 * 1024 + 10, 'a');
    for (const path of ['/rest/app.info', '/oauth/token/', '/admin/install', '/nowhere']) {
      const answer = await raw('POST', path, { host: own(), ...FORM }, big);
      assert.equal(answer.status, path === '/nowhere' ? 404 : 413, path);
    }
  });
});

describe("the administrator's actions take same-origin requests only", () => {
  it('refuses JSON sent with another Origin or Sec-Fetch-Site: cross-site (403)', async () => {
    const install = (headers: Record<string, string>) =>
      raw('POST', '/admin/install', { host: own(), ...JSON_TYPE, ...headers }, '{}');
    assert.equal((await install({ origin: 'http://evil.example' })).status, 403);
    assert.equal((await install({ 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal(
      (await install({ origin: `http://localhost:${port}` })).status,
      403,
      'another origin even on this machine',
    );
    assert.equal(rig.receiver.received.length, 0, 'nothing was installed');
    assert.equal((await install({ origin: `http://${own()}`, 'sec-fetch-site': 'same-origin' })).status, 200);
    assert.equal((await install({})).status, 200, 'the command line sends no Origin');
  });

  it('refuses a form without the page’s CSRF token, and bodies that are not JSON or a form (415)', async () => {
    const count = rig.emulator.portals.size;
    const form = await raw('POST', '/admin/install', { host: own(), ...FORM, origin: `http://${own()}` }, 'ui=0');
    assert.equal(form.status, 403);
    assert.match(form.body, /csrf_token/);
    assert.equal(
      (await raw('POST', '/admin/install', { host: own(), 'content-type': 'text/plain' }, '{}')).status,
      415,
    );
    assert.equal((await raw('POST', '/admin/install', { host: own() }, '')).status, 415);
    assert.equal(rig.emulator.portals.size, count);
  });

  it('takes the form of its own page with its token', async () => {
    const page = await raw('GET', '/', { host: own() });
    const csrf =
      /name="csrf" value="([0-9a-f]+)"/.exec(page.body)?.[1] ??
      /name="csrf" value="([0-9a-f]+)"/.exec((await raw('GET', '/install', { host: own() })).body)?.[1];
    assert.ok(csrf, 'the page carries a token');
    const answer = await raw(
      'POST',
      '/admin/install',
      { host: own(), ...FORM, accept: 'text/html', origin: `http://${own()}` },
      `csrf=${csrf}&appUrl=${encodeURIComponent(rig.receiver.url)}`,
    );
    assert.equal(answer.status, 303);
  });

  it('pages may not be framed by other sites', async () => {
    const response = await fetch(`${rig.running.url}/`);
    assert.equal(response.headers.get('content-security-policy'), "frame-ancestors 'self'");
  });
});
