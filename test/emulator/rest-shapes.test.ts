/** REST and OAuth answers shaped as a portal's (docs/protocol.md sections 6 and 7, from the official docs and SDKs): paths, app.info, batch, errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { httpBuildQuery } from '../../src/protocol/index.js';
import { emulatorRig } from '../helpers/emulator-rig.js';

let token: string;
let memberId: string;
const rig = emulatorRig(undefined, async (r) => {
  const { portal } = await r.emulator.install(`${r.receiver.url}/bitrix24/install`);
  memberId = portal.memberId;
  token = String((r.receiver.at('/bitrix24/install')[0]!.form.auth as Record<string, string>).access_token);
});

/** A POST form-encoded like PHP's http_build_query. */
const post = async (path: string, params: Parameters<typeof httpBuildQuery>[0]) => {
  const response = await fetch(`${rig.running.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: httpBuildQuery(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const TIME_FIELDS = [
  'start',
  'finish',
  'duration',
  'processing',
  'date_start',
  'date_finish',
  'operating_reset_at',
  'operating',
];

describe('REST answers as a portal gives them', () => {
  it('app.info has every field the docs list, at /rest/app.info, /rest//app.info and /rest/app.info.json', async () => {
    for (const path of ['/rest/app.info', '/rest//app.info', '/rest/app.info.json']) {
      const { status, body } = await post(path, { auth: token });
      assert.equal(status, 200, path);
      assert.deepEqual(body.result, {
        ID: 1,
        CODE: EMULATOR_CLIENT_ID,
        VERSION: 1,
        STATUS: 'L',
        INSTALLED: true,
        PAYMENT_EXPIRED: 'N',
        DAYS: null,
        LANGUAGE_ID: 'en',
        LICENSE: 'en_project',
        LICENSE_TYPE: 'project',
        LICENSE_FAMILY: 'project',
      });
      assert.deepEqual(Object.keys(body.time as object), TIME_FIELDS);
      assert.match((body.time as { date_start: string }).date_start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    }
  });

  it('takes the token as Authorization: Bearer and a JSON body too', async () => {
    const response = await fetch(`${rig.running.url}/rest/app.info`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 200);
  });

  it('batch of 60 runs the first 50 and answers ERROR_BATCH_LENGTH_EXCEEDED for each other, with one result_time per command run', async () => {
    const cmd = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`c${i}`, 'app.info']));
    const { status, body } = await post('/rest/batch', { auth: token, halt: 0, cmd });
    assert.equal(status, 200);
    const result = body.result as Record<string, Record<string, unknown>>;
    assert.equal(Object.keys(result.result!).length, 50);
    assert.deepEqual(
      Object.keys(result.result_error!),
      Array.from({ length: 10 }, (_, i) => `c${50 + i}`),
    );
    assert.deepEqual(result.result_error!.c55, {
      error: 'ERROR_BATCH_LENGTH_EXCEEDED',
      error_description: 'Max batch length exceeded',
    });
    assert.equal(Object.keys(result.result_time!).length, 50);
    assert.deepEqual(Object.keys(result.result_time!.c0 as object), TIME_FIELDS);
    assert.deepEqual([result.result_total, result.result_next], [[], []]);
  });

  it('batch with a list of commands answers lists, as PHP json_encode does', async () => {
    const { body } = await post('/rest/batch', { auth: token, cmd: ['app.info', 'no.such.method', 'event.get'] });
    const result = body.result as Record<string, unknown>;
    assert.ok(Array.isArray(result.result) === false, 'keys 0 and 2 are not a list');
    assert.deepEqual(Object.keys(result.result as object), ['0', '2']);
    assert.deepEqual(result.result_error, {
      1: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    });
    const all = await post('/rest/batch', { auth: token, cmd: ['app.info', 'event.get'] });
    assert.ok(Array.isArray((all.body.result as { result: unknown }).result));
  });

  it('halt=1 stops at the first error', async () => {
    const { body } = await post('/rest/batch', { auth: token, halt: 1, cmd: { a: 'no.such.method', b: 'app.info' } });
    assert.deepEqual((body.result as { result: unknown }).result, []);
  });

  it('voximplant.user.get answers the documented fields once allowed', async () => {
    assert.equal((await post('/rest/voximplant.user.get', { auth: token, USER_ID: [1, 2] })).status, 401);
    await rig.emulator.decide(rig.emulator.waiting()[0]!.id, true);
    const { body } = await post('/rest/voximplant.user.get', { auth: token, USER_ID: [1, 2] });
    const users = body.result as Record<string, unknown>[];
    assert.deepEqual(
      users.map((u) => Object.keys(u)),
      [0, 1].map(() => [
        'ID',
        'DEFAULT_LINE',
        'PHONE_ENABLED',
        'SIP_SERVER',
        'SIP_LOGIN',
        'SIP_PASSWORD',
        'INNER_NUMBER',
      ]),
    );
    assert.deepEqual(
      users.map((u) => u.ID),
      ['1', '2'],
    );
  });
});

describe('OAuth answers as oauth.bitrix.info gives them', () => {
  const refresh = (params: Record<string, string>) =>
    post('/oauth/token/', {
      grant_type: 'refresh_token',
      client_id: EMULATOR_CLIENT_ID,
      client_secret: EMULATOR_CLIENT_SECRET,
      ...params,
    });

  it('a refresh answers every field, domain oauth.bitrix.info; the refresh token is then spent (400 invalid_grant)', async () => {
    const pair = rig.emulator.issueTokens(rig.emulator.portal(memberId));
    const { status, body } = await refresh({ refresh_token: pair.refresh_token });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'client_endpoint',
      'domain',
      'expires',
      'expires_in',
      'member_id',
      'refresh_token',
      'scope',
      'server_endpoint',
      'status',
      'user_id',
    ]);
    assert.equal(body.domain, 'oauth.bitrix.info');
    assert.equal(body.server_endpoint, `${rig.running.url}/rest/`);
    assert.deepEqual(await refresh({ refresh_token: pair.refresh_token }), {
      status: 400,
      body: { error: 'invalid_grant' },
    });
    assert.deepEqual(await refresh({ refresh_token: 'unknown' }), { status: 400, body: { error: 'invalid_grant' } });
  });

  it('unknown client_id answers HTTP 200 wrong_client; a wrong secret 400 invalid_client', async () => {
    const pair = rig.emulator.issueTokens(rig.emulator.portal(memberId));
    assert.deepEqual(await refresh({ refresh_token: pair.refresh_token, client_id: 'app.unknown' }), {
      status: 200,
      body: { error: 'wrong_client' },
    });
    assert.deepEqual(await refresh({ refresh_token: pair.refresh_token, client_secret: 'wrong' }), {
      status: 400,
      body: { error: 'invalid_client' },
    });
    assert.equal(
      (await refresh({ refresh_token: pair.refresh_token })).status,
      200,
      'a refused attempt does not spend the token',
    );
  });
});
