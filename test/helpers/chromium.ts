/**
 * Where Chromium is and how the tests start it: Debian's /usr/bin/chromium driven by playwright-core (browser
 * downloads do not work here; .ci/run installs the package). Read by test/helpers/browser.ts and by test/run.mjs,
 * which starts one Chromium for the whole run.
 */
import type { LaunchOptions } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const chromiumOptions: LaunchOptions = {
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
};
