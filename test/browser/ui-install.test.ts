/**
 * An app with a UI installs on the emulator in real Chromium, the way Bitrix24 installs one: the portal's page frames
 * b24-events' /bitrix24/install with the form POST, b24-events proves the tokens and answers its page, the page loads
 * the BX24 library (https://api.bitrix24.com/api/v1/, routed here to the emulator's stand-in) and calls
 * BX24.installFinish(). Needs Debian's chromium; skipped where it is missing unless REQUIRE_BROWSER=1.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, after, before, it } from 'node:test';
import { createApp, type B24App } from '../../src/index.js';
import { createLogger } from '../../src/core/logger.js';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { sqliteStore } from '../../src/store/sqlite.js';
import { eventually, tempDir } from '../helpers/app.js';
import { inChromium } from '../helpers/browser.js';

let server: Server;
let running: RunningEmulator;
let emulator: Emulator;
let app: B24App;

describe(
  'a UI install in Chromium against b24-events',
  inChromium((browser) => {
    before(async () => {
      server = createServer((req, res) => void app.node(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      emulator = new Emulator({ rateLimit: false });
      running = await serveEmulator(emulator, { appUrl });
      app = createApp({
        store: sqliteStore(join(tempDir(), 'ui.sqlite')),
        clientId: EMULATOR_CLIENT_ID,
        clientSecret: EMULATOR_CLIENT_SECRET,
        oauthUrl: running.url,
        publicUrl: appUrl,
        logger: createLogger({ level: 'silent' }),
        inbox: { pollMs: 250 },
      });
      await app.ready();
    });
    after(async () => {
      await running?.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await app?.close();
    });

    it('stores the installation, the page calls BX24.installFinish() and the portal finishes the install', async () => {
      const script = await (await fetch(`${running.url}/api/v1/`)).text();
      const page = await browser().newPage();
      await page.route(/^https:\/\/api\.bitrix24\.com\/api\/v1\//, (route) =>
        route.fulfill({ status: 200, contentType: 'application/javascript', body: script }),
      );
      await page.goto(`${running.url}/install`);
      await page.locator('#install-form button[type=submit]').click();
      await page.waitForSelector('#install-state[data-state="installed"]', { timeout: 15_000 });
      const [portal] = [...emulator.portals.values()];
      assert.equal(portal?.status, 'installed', 'the page called BX24.installFinish()');
      const frame = page.frameLocator('#app-frame');
      assert.equal(await frame.locator('#b24-install-status').innerText(), 'The application is installed.');
      const html = await frame.locator('html').innerHTML();
      assert.ok(!html.includes(portal!.applicationToken), 'no token on the page');
      const installation = await app.installations.get(portal!.memberId);
      assert.equal(installation?.status, 'active');
      assert.equal(installation?.domain, portal!.domain);
      // The app bound its events, and the portal's events with that application_token are accepted.
      await eventually(() => portal!.bindings.length >= 3);
      const { deliveries } = await emulator.trigger(portal!.memberId, 'ONAPPMETHODCONFIRM', {
        set: [
          'data.TOKEN=user-token-from-the-page',
          'data.METHOD=voximplant.user.get',
          'data.CONFIRMED=1',
          'data.LANGUAGE_ID=en',
        ],
      });
      assert.deepEqual(
        deliveries.map((d) => d.status),
        [200],
      );
      await page.close();
    });
  }),
);
