/**
 * Apps with a UI install in the administrator's browser: the install URL gets the frame's form POST (tokens and the
 * DOMAIN/PROTOCOL/LANG/APP_SID query), no ONAPPINSTALL is sent, and the portal sends no events until installFinish.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpBuildQuery } from '../../src/protocol/index.js';
import { emulatorRig } from '../helpers/emulator-rig.js';
import { installPage } from '../helpers/receiver.js';

const rig = emulatorRig();

const admin = rig.admin;
const FRAME_FIELDS = [
  'AUTH_ID',
  'AUTH_EXPIRES',
  'REFRESH_ID',
  'SERVER_ENDPOINT',
  'APPLICATION_TOKEN',
  'APPLICATION_SCOPE',
  'member_id',
  'status',
  'PLACEMENT',
  'PLACEMENT_OPTIONS',
];

describe('installing an app with a UI', () => {
  it('waits for installFinish: no ONAPPINSTALL, no events, app.info says INSTALLED=false', async () => {
    const { body } = await admin('install', { ui: true });
    assert.equal(body.status, 'installing');
    assert.equal(body.frameUrl, `/install?member_id=${body.memberId}`);
    assert.equal(rig.receiver.received.length, 0, 'no ONAPPINSTALL for an app with a UI');
    const refused = await admin(`portals/${body.memberId}/trigger`, { event: 'ONCRMDEALADD' });
    assert.match(refused.body.message as string, /not finished \(BX24\.installFinish was not called\)/);

    const page = await (await fetch(`${rig.running.url}${body.frameUrl}`)).text();
    for (const field of FRAME_FIELDS) assert.match(page, new RegExp(`name="${field}"`));
    assert.match(
      page,
      new RegExp(
        `action="${rig.receiver.url}/bitrix24/install\\?DOMAIN=portal-[0-9a-f]{6}\\.bitrix24\\.test&amp;PROTOCOL=1&amp;LANG=en&amp;APP_SID=[0-9a-f]{32}"`,
      ),
    );
    assert.match(page, new RegExp(`target="127\\.0\\.0\\.1:${new URL(rig.running.url).port}\\|0\\|[0-9a-f]{32}"`));
    const token = /name="AUTH_ID" value="([0-9a-f]+)"/.exec(page)![1]!;
    const info = await fetch(`${rig.running.url}/rest/app.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: httpBuildQuery({ auth: token }),
    });
    assert.equal(((await info.json()) as { result: { INSTALLED: boolean } }).result.INSTALLED, false);

    assert.equal((await admin(`portals/${body.memberId}/install-finish`)).body.status, 'installed');
    assert.match(
      (await admin(`portals/${body.memberId}/install-finish`)).body.message as string,
      /not waiting for installFinish/,
    );
  });

  it('without a browser (install --ui): posts the frame form and finishes when the page loads BX24 and calls installFinish', async () => {
    rig.receiver.answer('/bitrix24/install', {
      type: 'text/html; charset=utf-8',
      body: installPage('//api.bitrix24.com/api/v1/'),
    });
    const { body } = await admin('install', { ui: true, frame: 'http', domain: 'ui.bitrix24.test' });
    assert.deepEqual(body.frame, {
      status: 200,
      html: true,
      loadsBx24: true,
      callsInstallFinish: true,
      finished: true,
    });
    assert.equal(body.status, 'installed');
    const [post] = rig.receiver.at('/bitrix24/install').slice(-1);
    assert.equal(post?.method, 'POST');
    assert.deepEqual(Object.keys(post!.form), FRAME_FIELDS);
    const query = new URL(post!.path, rig.receiver.url).searchParams;
    assert.deepEqual([...query.keys()], ['DOMAIN', 'PROTOCOL', 'LANG', 'APP_SID']);
    assert.deepEqual([query.get('DOMAIN'), query.get('PROTOCOL'), query.get('LANG')], ['ui.bitrix24.test', '1', 'en']);
    assert.deepEqual(
      [post!.form.member_id, post!.form.status, post!.form.PLACEMENT, post!.form.PLACEMENT_OPTIONS],
      [body.memberId, 'L', 'DEFAULT', '{}'],
    );
  });

  it('stays installing when the install page does not call installFinish', async () => {
    rig.receiver.answer('/bitrix24/install', {
      type: 'text/html',
      body: '<html><script src="https://api.bitrix24.com/api/v1/"></script><p>Hello</p></html>',
    });
    const { body } = await admin('install', { ui: true, frame: 'http' });
    assert.deepEqual(body.frame, {
      status: 200,
      html: true,
      loadsBx24: true,
      callsInstallFinish: false,
      finished: false,
    });
    assert.equal(body.status, 'installing');
  });

  it('serves the BX24 library stand-in at /api/v1/', async () => {
    const response = await fetch(`${rig.running.url}/api/v1/`);
    assert.match(response.headers.get('content-type') ?? '', /javascript/);
    const script = await response.text();
    for (const name of ['init', 'installFinish', 'getAuth', 'refreshAuth', 'callMethod'])
      assert.match(script, new RegExp(`\\b${name}: `));
    assert.match(script, /'setInstallFinish'/);
    assert.match(script, /'getInitData'/);
  });
});
