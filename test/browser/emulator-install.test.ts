/**
 * In a real browser: an app with a UI installs through the emulator's frame (its page loads the BX24 library from
 * https://api.bitrix24.com/api/v1/, routed to the emulator's stand-in, and calls BX24.installFinish()), and a page
 * of another origin cannot allow or deny a waiting request. Needs Debian's chromium; skipped where it is missing
 * unless REQUIRE_BROWSER=1 (see emulator-page.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpBuildQuery } from '../../src/protocol/index.js';
import { emulatorRig } from '../helpers/emulator-rig.js';
import { installPage } from '../helpers/receiver.js';
import { inChromium } from '../helpers/browser.js';

describe(
  'emulator installs and guards in Chromium',
  inChromium((browser) => {
    const rig = emulatorRig();

    it('installs an app with a UI: the frame POST, BX24.init, BX24.installFinish, then the portal is installed', async () => {
      rig.receiver.answer('/bitrix24/install', {
        type: 'text/html; charset=utf-8',
        body: installPage('https://api.bitrix24.com/api/v1/'),
      });
      const script = await (await fetch(`${rig.running.url}/api/v1/`)).text();
      const page = await browser().newPage();
      await page.route(/^https:\/\/api\.bitrix24\.com\/api\/v1\//, (route) =>
        route.fulfill({ status: 200, contentType: 'application/javascript', body: script }),
      );
      await page.goto(`${rig.running.url}/install`);
      await page.locator('#install-form button[type=submit]').click();
      await page.waitForSelector('#install-state[data-state="installed"]', { timeout: 10_000 });
      const [portal] = [...rig.emulator.portals.values()];
      assert.equal(portal?.status, 'installed');
      assert.equal(rig.receiver.at('/bitrix24/install').length, 1, 'one frame POST, no ONAPPINSTALL');
      const app = page.frameLocator('#app-frame').locator('#app');
      assert.equal(await app.innerText(), `member ${portal!.memberId}`, 'BX24.getAuth() had the portal’s auth');
      await page.close();
    });

    it('a page of another origin can neither allow nor deny', async () => {
      const { portal } = await rig.emulator.install(`${rig.receiver.url}/bitrix24/install`);
      const token = (rig.receiver.at('/bitrix24/install').at(-1)!.form.auth as Record<string, string>).access_token!;
      await fetch(`${rig.running.url}/rest/voximplant.user.get`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: httpBuildQuery({ auth: token }),
      });
      const request = rig.emulator.waiting().find((r) => r.memberId === portal.memberId)!;
      const target = `${rig.running.url}/admin/requests/${request.id}/allow`;
      rig.receiver.answer('/evil', {
        type: 'text/html',
        body: `<form id="f" method="post" action="${target}"><input name="csrf" value="guess"></form>`,
      });
      const page = await browser().newPage();
      await page.goto(`${rig.receiver.url}/evil`);
      const scripted = await page.evaluate(async (url) => {
        const json = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }).then(
          (r) => `status ${r.status}`,
          () => 'blocked',
        );
        await fetch(url, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: '{}',
        }).catch(() => undefined);
        return json;
      }, target);
      assert.equal(scripted, 'blocked', 'the JSON request needs a preflight the emulator never grants');
      await Promise.all([page.waitForURL(target), page.evaluate('document.getElementById("f").submit()')]);
      assert.match(await page.content(), /cross_origin/);
      assert.equal(request.state, 'waiting', 'still waiting for the administrator');
      await page.close();
    });
  }),
);
