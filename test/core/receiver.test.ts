import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sha256Hex } from '../../src/protocol/index.js';
import * as bodies from '../fixtures/bodies.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const register = () =>
  t.app.installations.add({
    memberId: bodies.MEMBER_ID,
    domain: bodies.DOMAIN,
    applicationToken: bodies.APPLICATION_TOKEN,
  });
const nothingStored = async () => assert.deepEqual(await t.app.inbox.list(), []);

beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

describe('receiving ONAPPMETHODCONFIRM', () => {
  it('stores a genuine event and records the grant in the permission ledger', async () => {
    await register();
    const answer = await t.post(bodies.methodConfirmGranted);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { ok: true, id: 1, event: 'ONAPPMETHODCONFIRM', duplicate: false });
    const [entry] = await t.app.inbox.list();
    assert.equal(entry?.event, 'ONAPPMETHODCONFIRM');
    assert.equal(entry?.memberId, bodies.MEMBER_ID);
    assert.equal(entry?.ts, '2016-11-10T15:14:12.000Z');
    assert.deepEqual(
      (await t.app.permissions()).map(({ receivedAt, ...p }) => p),
      [
        {
          memberId: bodies.MEMBER_ID,
          method: 'voximplant.user.get',
          tokenFingerprint: sha256Hex(bodies.CONFIRM_TOKEN).slice(0, 12),
          // Granted in 2016 to a token the app never held: that token has been dead for years.
          state: 'expired',
          languageId: 'en',
          decidedAt: '2016-11-10T15:14:12.000Z',
          requestedAt: null,
          tokenExpiresAt: null,
        },
      ],
    );
  });

  it('never stores the raw TOKEN or application_token', async () => {
    await register();
    await t.post(bodies.methodConfirmGranted);
    await t.app.close();
    const files = ['', '-wal'].map((suffix) => {
      try {
        return readFileSync(t.dbPath + suffix).toString('latin1');
      } catch {
        return '';
      }
    });
    assert.ok(files.join('').includes('voximplant.user.get'), 'the event is in the file');
    assert.ok(!files.join('').includes(bodies.CONFIRM_TOKEN), 'the TOKEN is not');
    t = createTestApp();
  });

  it('lets a later decision replace an earlier one, but not a late delivery of an older one', async () => {
    await register();
    await t.post(bodies.methodConfirmGranted);
    await t.post(bodies.methodConfirmDeniedLater);
    assert.equal((await t.app.permissions())[0]?.state, 'denied');
    await t.post(bodies.methodConfirmDeniedEarlier.replace('CONFIRMED%5D=0', 'CONFIRMED%5D=1'));
    assert.equal((await t.app.permissions())[0]?.state, 'denied');
    assert.equal((await t.app.permissions()).length, 1);
  });

  it('stores the same event delivered twice once while its handlers have not started, answering 200 both times', async () => {
    await t.close();
    t = createTestApp({ workers: false });
    await register();
    const first = await t.post(bodies.methodConfirmGranted);
    const second = await t.post(bodies.methodConfirmGranted);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.json.duplicate, true);
    assert.equal(second.json.id, first.json.id);
    assert.equal((await t.app.inbox.list()).length, 1);
  });

  it('accepts the same event as JSON', async () => {
    await register();
    const json = JSON.stringify({
      event: 'ONAPPMETHODCONFIRM',
      data: { TOKEN: bodies.CONFIRM_TOKEN, METHOD: 'voximplant.user.get', CONFIRMED: 1, LANGUAGE_ID: 'en' },
      ts: 1478790852,
      auth: {
        domain: bodies.DOMAIN,
        client_endpoint: 'https://portal.bitrix24.com/rest/',
        server_endpoint: 'https://oauth.bitrix.info/rest/',
        member_id: bodies.MEMBER_ID,
        application_token: bodies.APPLICATION_TOKEN,
      },
    });
    const answer = await t.post(json, 'application/json');
    assert.equal(answer.status, 200);
    assert.equal((await t.app.permissions())[0]?.decidedAt, '2016-11-10T15:14:12.000Z');
  });
});

describe('refusing events that are not proved genuine (403)', () => {
  const refused = async (body: string, code: string) => {
    const answer = await t.post(body);
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, code);
    assert.match(String(answer.json.message), new RegExp(bodies.MEMBER_ID));
    assert.ok(!JSON.stringify(answer.json).includes(bodies.APPLICATION_TOKEN));
    await nothingStored();
    assert.deepEqual(await t.app.permissions(), []);
  };

  it('refuses an event from an unknown portal', () => refused(bodies.methodConfirmGranted, 'unknown_portal'));

  it('refuses ONAPPMETHODCONFIRM whose application_token does not match (403)', async () => {
    await register();
    await refused(bodies.methodConfirmWrongToken, 'token_mismatch');
    assert.ok(!t.logs.join('').includes('00000000000000000000000000000000'), 'the wrong token is not logged');
  });

  it('refuses events of an uninstalled portal', async () => {
    await register();
    assert.equal((await t.post(bodies.uninstall)).status, 200);
    const answer = await t.post(bodies.methodConfirmGranted);
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'uninstalled');
  });
});

describe('bad input gets a clear answer and changes nothing', () => {
  beforeEach(register);

  it('415 for a content type other than form or JSON', async () => {
    const answer = await t.post(bodies.methodConfirmGranted, 'text/plain');
    assert.equal(answer.status, 415);
    assert.equal(answer.json.error, 'unsupported_media_type');
    await nothingStored();
  });

  it('413 for a body over the limit', async () => {
    const answer = await t.post(`${bodies.methodConfirmGranted}&pad=${'x'.repeat(70_000)}`);
    assert.equal(answer.status, 413);
    await nothingStored();
  });

  it('413 at a configured limit', async () => {
    await t.close();
    t = createTestApp({ maxBodyBytes: 100 });
    assert.equal((await t.post(bodies.methodConfirmGranted)).status, 413);
  });

  it('400 for a malformed form or JSON body', async () => {
    assert.equal((await t.post('event=%E0%A4%A&ts=1')).json.error, 'malformed_body');
    assert.equal((await t.post('{"event":', 'application/json')).status, 400);
    await nothingStored();
  });

  it('400 for prototype keys, which are never applied', async () => {
    const answer = await t.post(`${bodies.methodConfirmGranted}&data%5B__proto__%5D%5Bpolluted%5D=1`);
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error, 'forbidden_key');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await nothingStored();
  });

  it('400 with every bad field named', async () => {
    const answer = await t.post('event=ONAPPMETHODCONFIRM&ts=1478790852&data%5BCONFIRMED%5D=2');
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error, 'invalid_event');
    const paths = (answer.json.details as { path: string }[]).map((d) => d.path);
    assert.deepEqual(paths.sort(), ['auth', 'data.CONFIRMED', 'data.LANGUAGE_ID', 'data.METHOD', 'data.TOKEN'].sort());
    await nothingStored();
  });

  it('405 for a method other than POST', async () => {
    const answer = await t.app.handle({ method: 'GET', headers: {}, body: undefined });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'POST');
  });

  it('counts each refusal in the metrics', async () => {
    await t.post('x', 'text/plain');
    await t.post(bodies.methodConfirmWrongToken);
    await t.post(bodies.methodConfirmGranted);
    const text = await t.app.metrics.metrics();
    assert.match(text, /b24_events_received_total\{event="other",outcome="unsupported_media_type"\} 1/);
    assert.match(text, /b24_events_received_total\{event="ONAPPMETHODCONFIRM",outcome="token_mismatch"\} 1/);
    assert.match(text, /b24_events_received_total\{event="ONAPPMETHODCONFIRM",outcome="accepted"\} 1/);
  });
});
