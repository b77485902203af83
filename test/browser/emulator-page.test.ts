/**
 * The emulator's notifications page in a real browser: a waiting request shows with Allow and Deny, and clicking
 * Allow sends ONAPPMETHODCONFIRM. Needs Debian's chromium (.ci/run installs it); skipped where it is missing unless
 * REQUIRE_BROWSER=1 (test/helpers/browser.ts).
 */
import assert from 'node:assert/strict';
import { describe, after, before, it } from 'node:test';
import type { ResumeOutcome } from '../../src/index.js';
import { eventually } from '../helpers/app.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { inChromium } from '../helpers/browser.js';

let stack: Stack;

describe(
  'emulator page in Chromium',
  inChromium((browser) => {
    before(async () => {
      stack = await startStack();
    });
    after(async () => {
      await stack?.close();
    });

    it('lists the waiting request and allows it with a click', async () => {
      const outcomes: ResumeOutcome[] = [];
      stack.app.resume('page', (outcome) => void outcomes.push(outcome));
      await stack.app
        .rest(stack.memberId)
        .call('voximplant.user.get', { USER_ID: 5 }, { whenWaiting: { park: 'page' } });

      const page = await browser().newPage();
      await page.goto(`${stack.emulatorUrl}/`);
      const row = page.locator('#requests tr[data-request]');
      assert.equal(await row.count(), 1);
      assert.match(await row.innerText(), /voximplant\.user\.get/);
      await page.screenshot({ path: `${stack.dbPath}.page.png` });
      await row.locator('button.allow').click();
      await page.waitForSelector('#no-requests');

      await eventually(() => outcomes.length === 1);
      assert.equal(outcomes[0]?.status, 'ok');
      assert.match(await page.content(), /ONAPPMETHODCONFIRM/);
    });

    it('denies with a click', async () => {
      const outcomes: ResumeOutcome[] = [];
      stack.app.resume('page-deny', (outcome) => void outcomes.push(outcome));
      stack.emulator.expireTokens(stack.memberId);
      await stack.app
        .rest(stack.memberId)
        .call('voximplant.user.get', { USER_ID: 6 }, { whenWaiting: { park: 'page-deny' } });
      const page = await browser().newPage();
      await page.goto(`${stack.emulatorUrl}/`);
      await page.locator('#requests tr[data-request] button.deny').click();
      await page.waitForSelector('#no-requests');
      await eventually(() => outcomes.length === 1);
      assert.equal(outcomes[0]?.status, 'denied');
    });
  }),
);
