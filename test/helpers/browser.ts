/**
 * Chromium for the browser tests (test/helpers/chromium.ts says which and how). Where it is missing the suite shows
 * as skipped, unless REQUIRE_BROWSER=1, so that a fresh clone's `npm test` passes and CI cannot skip it silently.
 *
 * test/run.mjs starts one Chromium for the whole run and names it in B24_TEST_CHROMIUM (a websocket endpoint): each
 * file connects to it instead of starting its own, which costs about a second of CPU per file on two cores. A file
 * run on its own (`node --import tsx --test ...`) launches Chromium itself.
 */
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, chromiumOptions } from './chromium.js';
import { unless } from './skip.js';

const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === '1') throw new Error(`${CHROMIUM} is missing but REQUIRE_BROWSER=1`);

async function openBrowser(): Promise<Browser> {
  const shared = process.env.B24_TEST_CHROMIUM;
  return shared ? chromium.connect(shared) : chromium.launch(chromiumOptions);
}

/**
 * The body of a suite that needs Chromium, `describe(name, inChromium((browser) => { ... }))`: `browser()` gives the
 * browser inside its tests and hooks (each test opens its own pages or contexts). Skipped, and counted as skipped,
 * where Chromium is missing.
 */
export function inChromium(fn: (browser: () => Browser) => void): () => void {
  return unless(available ? false : `no ${CHROMIUM}: install Debian's chromium to run the browser tests`, () => {
    let browser: Browser | undefined;
    before(async () => {
      browser = await openBrowser();
    });
    after(async () => {
      await browser?.close();
    });
    fn(() => {
      if (!browser) throw new Error('Chromium is not open yet: use browser() inside a test or a hook');
      return browser;
    });
  });
}
