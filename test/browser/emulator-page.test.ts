/**
 * The emulator's notifications page in a real browser: a waiting request shows with Allow and Deny, and clicking
 * Allow sends ONAPPMETHODCONFIRM. Needs Debian's chromium (.ci/run installs it); skipped where it is missing unless
 * REQUIRE_BROWSER=1, so that a fresh clone's `npm test` passes and CI cannot skip it silently.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { ResumeOutcome } from '../../src/index.js';
import { eventually } from '../helpers/app.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { describeUnless } from '../helpers/skip.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === '1') throw new Error(`${CHROMIUM} is missing but REQUIRE_BROWSER=1`);

let browser: Browser;
let stack: Stack;

describeUnless(
  'emulator page in Chromium',
  available ? false : `no ${CHROMIUM}: install Debian's chromium to run the browser tests`,
  () => {
    before(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      stack = await startStack();
    });
    after(async () => {
      await browser?.close();
      await stack?.close();
    });

    it('lists the waiting request and allows it with a click', async () => {
      const outcomes: ResumeOutcome[] = [];
      stack.app.resume('page', (outcome) => void outcomes.push(outcome));
      await stack.app
        .rest(stack.memberId)
        .call('voximplant.user.get', { USER_ID: 5 }, { whenWaiting: { park: 'page' } });

      const page = await browser.newPage();
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
      const page = await browser.newPage();
      await page.goto(`${stack.emulatorUrl}/`);
      await page.locator('#requests tr[data-request] button.deny').click();
      await page.waitForSelector('#no-requests');
      await eventually(() => outcomes.length === 1);
      assert.equal(outcomes[0]?.status, 'denied');
    });
  },
);
