/**
 * The dashboard in Chromium, as an operator uses it: a wrong token, sign-in, every page, a filter, the chart, a
 * denied permission, retrying a failed parked call and replaying failed events. No page may show a secret.
 * Screenshots go to test/browser/screenshots/ (the README's docs/dashboard.png is one of them).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { describe, after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/server/server.js';
import { getInstallation } from '../../src/store/installations.js';
import { methodConfirmGranted } from '../fixtures/bodies.js';
import { eventually } from '../helpers/app.js';
import { injectFaults, type Faults } from '../helpers/faults.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { inChromium } from '../helpers/browser.js';

const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
/** Screenshots cost a second of CPU each on two cores: taken when asked for (B24_SCREENSHOTS=1), for the docs. */
const SCREENSHOTS = process.env.B24_SCREENSHOTS === '1';
const TOKEN = 'dashboard-token-4f1c9e7a2b6d8e0f';

let stack: Stack;
let server: FastifyInstance;
let url: string;
let faults: Faults;
let failing = true;
const seen: string[] = [];

async function visit(page: Page, path: string): Promise<string> {
  await page.goto(`${url}${path}`);
  const html = await page.content();
  seen.push(html);
  return html;
}

const shot = async (page: Page, name: string) => {
  if (SCREENSHOTS) await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
};

describe(
  'dashboard in Chromium',
  inChromium((browser) => {
    before(async () => {
      if (SCREENSHOTS) mkdirSync(SHOTS, { recursive: true });
      stack = await startStack({
        app: {
          inbox: { retryDelayMs: 20, maxRetryDelayMs: 50, maxAttempts: 1 },
          parkedCalls: { retryDelayMs: 20, maxRetryDelayMs: 50, maxReplayAttempts: 1 },
          rest: { retryDelayMs: 20, maxRetries: 0, rateLimit: { perSecond: 200, burst: 200 } },
        },
      });
      stack.app.on('ONAPPMETHODCONFIRM', () => {
        if (failing) throw new Error('the CRM is away');
      });
      faults = injectFaults(stack.emulatorServer);
      // A denied call; then, under a new token, a call whose replay fails (the portal answers 500).
      const denied = await stack.app
        .rest(stack.memberId)
        .call('voximplant.user.get', { USER_ID: 2 }, { whenWaiting: { park: 'sync' } });
      assert.equal(denied.status, 'waiting');
      await stack.emulator.decide(stack.emulator.waiting()[0]!.id, false);
      stack.emulator.expireTokens(stack.memberId);
      const failed = await stack.app
        .rest(stack.memberId)
        .call('voximplant.user.get', { USER_ID: 1 }, { whenWaiting: { park: 'sync' } });
      assert.ok(failed.status === 'waiting' && failed.parkedCallId);
      faults.mode = 'server-error';
      await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
      await eventually(async () => (await stack.app.calls.get(failed.parkedCallId!))?.state === 'failed');
      faults.mode = 'pass';
      await eventually(async () => (await stack.app.inbox.list({ status: 'failed' })).length === 2);
      // A forged delivery, refused.
      assert.equal(
        (
          await stack.app.handle({
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: methodConfirmGranted,
          })
        ).status,
        403,
      );
      failing = false;
      server = await createServer(stack.app, { dashboardToken: TOKEN });
      await server.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await server?.close();
      await stack?.close();
    });

    it('refuses a wrong token, then signs in and shows the overview with its charts', async () => {
      const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
      await visit(page, '/');
      assert.match(await page.locator('h1').innerText(), /Sign in/);
      await page.fill('input[name=token]', 'not-the-token');
      await page.click('button[type=submit]');
      assert.match(await page.locator('[role=alert]').innerText(), /not the dashboard token/);
      seen.push(await page.content());
      await page.fill('input[name=token]', TOKEN);
      await page.click('button[type=submit]');
      await page.waitForSelector('#events-chart');
      seen.push(await page.content());
      assert.equal(await page.locator('[data-count=portals]').innerText(), '1');
      assert.equal(await page.locator('[data-count=failed-events]').innerText(), '2');
      assert.equal(await page.locator('[data-count=failed-calls]').innerText(), '1');
      assert.match(await page.locator('#events-legend').innerText(), /ONAPPMETHODCONFIRM \(2\)/);
      assert.match(await page.locator('#events-legend').innerText(), /ONAPPINSTALL \(1\)/);
      assert.equal(await page.locator('#events-chart polyline[data-event=ONAPPMETHODCONFIRM]').count(), 1);
      assert.match((await page.locator('#refusals-chart').textContent()) ?? '', /unknown_portal\s*1/);
      await shot(page, 'overview');
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'b24_dashboard');
      assert.ok(session?.httpOnly && session.sameSite === 'Strict');
      assert.ok(!session.value.includes(TOKEN));
      await page.close();
    });

    /**
     * The signed-in operator's page, shared by the tests below as one operator goes from page to page (a browser
     * context and a sign-in cost Chromium about a second of CPU each). Closing the browser (inChromium) closes it.
     */
    let operator: Page | undefined;
    async function signedIn(viewport = { width: 1280, height: 900 }): Promise<Page> {
      if (!operator) {
        operator = await browser().newPage({ viewport });
        await operator.goto(`${url}/signin`);
        await operator.fill('input[name=token]', TOKEN);
        await operator.click('button[type=submit]');
        await operator.waitForSelector('#events-chart');
      } else await operator.setViewportSize(viewport);
      return operator;
    }

    it('lists the portal with its region and status, and the denied permission under a filter', async () => {
      const page = await signedIn();
      await visit(page, '/portals');
      const row = page.locator('#portals tbody tr');
      assert.equal(await row.count(), 1);
      assert.match(await row.innerText(), new RegExp(`${stack.memberId}[\\s\\S]*127\\.0\\.0\\.1[\\s\\S]*active`));
      await shot(page, 'portals');
      await visit(page, '/permissions');
      assert.equal(await page.locator('#permissions tbody tr').count(), 2);
      await page.selectOption('select[name=state]', 'denied');
      await page.click('form.filters button[type=submit]');
      await page.waitForURL(/state=denied/);
      seen.push(await page.content());
      const denied = page.locator('#permissions tbody tr');
      assert.equal(await denied.count(), 1);
      assert.match(await denied.innerText(), /voximplant\.user\.get\s+denied\s+[0-9a-f]{12}/);
      await shot(page, 'permissions-denied');
    });

    it('retries the failed parked call, which then runs', async () => {
      const page = await signedIn();
      await visit(page, '/calls?state=failed');
      const failed = page.locator('#calls tbody tr[data-state=failed]');
      assert.equal(await failed.count(), 1);
      assert.match(await failed.innerText(), /INTERNAL_SERVER_ERROR/);
      assert.match(await page.locator('#retention').innerText(), /deleted after 30 days; failed ones are kept/);
      await shot(page, 'calls');
      const id = Number(await failed.getAttribute('data-call'));
      await failed.locator('button.retry').click();
      assert.match(await page.locator('[role=status]').innerText(), /ready again/);
      // Waits on the app, then looks once: a page load per poll would cost Chromium more than the rest of the test.
      await eventually(async () => (await stack.app.calls.get(id))?.state === 'done');
      await visit(page, '/calls');
      assert.equal(await page.locator(`#calls tbody tr[data-call="${id}"][data-state=done]`).count(), 1);
    });

    it('shows an event with its secrets masked, replays it, and replays the other failed one with the filter', async () => {
      const page = await signedIn({ width: 390, height: 844 });
      await visit(page, '/inbox?status=failed');
      assert.equal(await page.locator('#inbox tbody tr').count(), 2);
      assert.match(await page.locator('#retention').innerText(), /deleted after 30 days; failed ones are kept/);
      await shot(page, 'inbox-phone');
      const id = await page.locator('#inbox tbody tr').first().getAttribute('data-id');
      await page.click(`#inbox tbody tr[data-id="${id}"] a`);
      await page.waitForSelector('#payload');
      seen.push(await page.content());
      assert.match(await page.locator('#last-error').innerText(), /the CRM is away/);
      assert.match(await page.locator('#payload').innerText(), /"application_token": "\[redacted\]"/);
      await shot(page, 'event');
      await page.click('#replay');
      assert.match(await page.locator('[role=status]').innerText(), /queued again/);
      const done = async () => (await stack.app.inbox.list({ status: 'done' })).some((e) => String(e.id) === id);
      await eventually(done);
      await visit(page, `/inbox/${id}`);
      assert.equal(await page.locator('#status').innerText(), 'done');
      await visit(page, '/inbox?status=failed&event=ONAPPMETHODCONFIRM');
      assert.equal(await page.locator('#inbox tbody tr').count(), 1);
      await page.click('#replay-failed');
      assert.match(await page.locator('[role=status]').innerText(), /1 failed event is queued again/);
      await eventually(async () => (await stack.app.inbox.list({ status: 'failed' })).length === 0);
    });

    it('shows no secret on any page it served', async () => {
      const row = await getInstallation(stack.app.store.db, stack.memberId);
      const secrets = [row?.application_token, row?.access_token, row?.refresh_token, TOKEN].filter((s): s is string =>
        Boolean(s),
      );
      assert.equal(secrets.length, 4);
      assert.ok(seen.length >= 8);
      for (const html of seen) for (const secret of secrets) assert.ok(!html.includes(secret), 'a page shows a secret');
    });
  }),
);
