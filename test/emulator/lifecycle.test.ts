/** Updates, triggered events and regions, seen from the app: what reaches it, and which OAuth server refreshes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { httpBuildQuery } from '../../src/protocol/index.js';
import { emulatorRig } from '../helpers/emulator-rig.js';

const rig = emulatorRig();

type Auth = Record<string, string>;
const admin = rig.admin;
const post = async (base: string, path: string, params: Parameters<typeof httpBuildQuery>[0]) => {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: httpBuildQuery(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const refresh = (base: string, refreshToken: string) =>
  post(base, '/oauth/token/', {
    grant_type: 'refresh_token',
    client_id: EMULATOR_CLIENT_ID,
    client_secret: EMULATOR_CLIENT_SECRET,
    refresh_token: refreshToken,
  });
const lastInstall = () =>
  rig.receiver.at('/bitrix24/install').at(-1)!.form as {
    event: string;
    event_handler_id: string;
    data: Auth;
    auth: Auth;
  };

describe('updates', () => {
  it('an update is a second ONAPPINSTALL with the new VERSION, fresh tokens and the same application_token', async () => {
    const { body } = await admin('install', {});
    const first = lastInstall();
    const memberId = body.memberId as string;
    const token = first.auth.access_token!;
    await post(rig.running.url, '/rest/event.bind', {
      auth: token,
      event: 'ONAPPUNINSTALL',
      handler: `${rig.receiver.url}/bitrix24/events`,
    });
    const updated = await admin(`portals/${memberId}/update`, {});
    assert.equal(updated.status, 200);
    const second = lastInstall();
    assert.equal(second.event, 'ONAPPINSTALL');
    assert.equal(second.event_handler_id, first.event_handler_id, 'the install binding delivers it');
    assert.deepEqual(second.data, { VERSION: '2', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' });
    assert.equal(second.auth.application_token, first.auth.application_token);
    assert.notEqual(second.auth.access_token, first.auth.access_token);
    assert.notEqual(second.auth.refresh_token, first.auth.refresh_token);
    assert.equal(
      (await refresh(rig.running.url, second.auth.refresh_token!)).status,
      200,
      'the update carries working tokens',
    );
    assert.deepEqual(
      (updated.body.bindings as { event: string }[]).map((b) => b.event),
      ['ONAPPUNINSTALL'],
      "the app's own bindings stay",
    );
    const named = await admin(`portals/${memberId}/update`, { version: '1.1' });
    assert.equal(named.body.version, '1.1');
    assert.equal(lastInstall().data.VERSION, '1.1');
    assert.match(
      (await admin(`portals/${memberId}/update`, { version: '10.0.1' })).body.message as string,
      /at most 4 characters/,
    );
  });

  it('--legacy sends ONAPPUPDATE to the bound handler, with the same application_token', async () => {
    const { body } = await admin('install', {});
    const install = lastInstall();
    await post(rig.running.url, '/rest/event.bind', {
      auth: install.auth.access_token!,
      event: 'ONAPPUPDATE',
      handler: `${rig.receiver.url}/bitrix24/events`,
    });
    const { body: updated } = await admin(`portals/${body.memberId}/update`, { legacy: true });
    const [delivery] = updated.deliveries as { event: string; status: number; eventHandlerId: number }[];
    assert.deepEqual([delivery?.event, delivery?.status], ['ONAPPUPDATE', 200]);
    const sent = rig.receiver.at('/bitrix24/events').at(-1)!.form as {
      event: string;
      event_handler_id: string;
      data: Auth;
      auth: Auth;
    };
    assert.deepEqual(sent.data, { VERSION: '2', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'en' });
    assert.equal(sent.event_handler_id, String(delivery?.eventHandlerId));
    assert.equal(sent.auth.application_token, install.auth.application_token);
  });
});

describe('emulator trigger', () => {
  it('delivers any event to the handlers bound for it, with a user token auth block and event_handler_id, form-encoded like PHP', async () => {
    const { body } = await admin('install', {});
    const token = lastInstall().auth.access_token!;
    await post(rig.running.url, '/rest/event.bind', {
      auth: token,
      event: 'ONCRMDEALUPDATE',
      handler: `${rig.receiver.url}/deals`,
    });
    const { body: triggered } = await admin(`portals/${body.memberId}/trigger`, {
      event: 'onCrmDealUpdate',
      set: ['data.FIELDS.ID=42'],
      userId: 7,
    });
    const [delivery] = triggered.deliveries as { status: number; eventHandlerId: number }[];
    assert.equal(delivery?.status, 200);
    const sent = rig.receiver.at('/deals').at(-1)!;
    assert.match(
      sent.body,
      new RegExp(
        `^event=ONCRMDEALUPDATE&event_handler_id=${delivery!.eventHandlerId}&data%5BFIELDS%5D%5BID%5D=42&ts=\\d+&auth%5Baccess_token%5D=`,
      ),
    );
    const auth = (sent.form as { auth: Auth }).auth;
    assert.equal(auth.user_id, '7');
    assert.equal(auth.member_id, body.memberId);
    assert.deepEqual(Object.keys(auth), [
      'access_token',
      'expires',
      'expires_in',
      'scope',
      'domain',
      'server_endpoint',
      'status',
      'client_endpoint',
      'member_id',
      'user_id',
      'refresh_token',
      'application_token',
    ]);
    assert.equal((await post(rig.running.url, '/rest/profile', { auth: auth.access_token! })).body.result && 7, 7);
    const unbound = await admin(`portals/${body.memberId}/trigger`, { event: 'ONCRMLEADADD' });
    assert.deepEqual(unbound.body.deliveries, []);
    assert.match(
      (await admin(`portals/${body.memberId}/trigger`, { event: 'ONCRMDEALUPDATE', set: ['auth.member_id=x'] })).body
        .message as string,
      /data\.KEY=VALUE only/,
    );
  });
});

describe('regions', () => {
  it('an east portal names the east OAuth server, whose refresh tokens work only there', async () => {
    assert.notEqual(rig.running.eastUrl, rig.running.url);
    const { body } = await admin('install', { region: 'east' });
    assert.equal(body.region, 'east');
    const { auth } = lastInstall();
    assert.equal(auth.server_endpoint, `${rig.running.eastUrl}/rest/`);
    assert.equal(auth.client_endpoint, `${rig.running.url}/rest/`);
    assert.deepEqual(
      await refresh(rig.running.url, auth.refresh_token!),
      { status: 400, body: { error: 'invalid_grant' } },
      'the west server does not know it',
    );
    const east = await refresh(rig.running.eastUrl, auth.refresh_token!);
    assert.equal(east.status, 200);
    assert.equal(east.body.domain, 'oauth.bitrix24.tech');
    assert.equal(east.body.server_endpoint, `${rig.running.eastUrl}/rest/`);
  });

  it('a west portal refreshes at the main origin only', async () => {
    await admin('install', {});
    const { auth } = lastInstall();
    assert.equal(auth.server_endpoint, `${rig.running.url}/rest/`);
    assert.deepEqual(await refresh(rig.running.eastUrl, auth.refresh_token!), {
      status: 400,
      body: { error: 'invalid_grant' },
    });
    assert.equal((await refresh(rig.running.url, auth.refresh_token!)).body.domain, 'oauth.bitrix.info');
  });

  it('refuses a region it does not know', async () => {
    assert.deepEqual(await admin('install', { region: 'north' }), {
      status: 400,
      body: { error: 'refused', message: 'region must be west or east, not "north"' },
    });
  });
});
