/**
 * `import 'b24-events'` loads no database driver: better-sqlite3 is native and pg needs Node's sockets, so a runtime
 * that has neither can still serve `app.fetch` on a store of its own. Each case runs in a child process whose module
 * loader refuses the blocked drivers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Under test/run.mjs, the modules it compiled (plain node loads them); on its own, the sources through tsx. */
const COMPILED = process.env.B24_TEST_COMPILED;
const moduleUrl = (path: string) =>
  COMPILED
    ? pathToFileURL(join(COMPILED, path.replace(/\.ts$/, '.mjs'))).href
    : new URL(`../../${path}`, import.meta.url).href;
const ROOT = moduleUrl('src/index.ts');
const BODIES = moduleUrl('test/fixtures/bodies.ts');
const LOADER = COMPILED ? [] : ['--import', 'tsx'];
const BLOCK = fileURLToPath(new URL('../helpers/no-native-drivers.mjs', import.meta.url));

function run(script: string, block: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [...LOADER, '--import', BLOCK, '--input-type=module', '-e', script], {
    env: { ...process.env, BLOCK_DRIVERS: block, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (out += String(c)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('the root import loads no database driver', () => {
  it('with neither better-sqlite3 nor pg loadable, app.fetch answers on a store passed in', async () => {
    const { code, out } = await run(
      `
      const { createApp, sqliteStore, postgresStore } = await import(${JSON.stringify(ROOT)});
      const store = { db: undefined, dialect: 'sqlite', migrate: async () => {}, announceWork: async () => {}, onWork: async () => {}, close: async () => {} };
      const app = createApp({ store, workers: false });
      const answer = await app.fetch(new Request('http://app/bitrix24/events', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }));
      console.log('status', answer.status, (await answer.json()).error);
      await app.close();
      // Stores can still be created; they say what is missing when first used.
      for (const s of [sqliteStore(':memory:'), postgresStore('postgres://127.0.0.1:9/none')]) {
        await s.migrate().catch((error) => console.log('refused:', error.message));
        await s.close();
      }
      await import('better-sqlite3').then(() => console.log('the block did not work'), () => {});
      `,
      'better-sqlite3,pg',
    );
    assert.equal(code, 0, out);
    assert.match(out, /status 415 unsupported_media_type/);
    assert.match(out, /refused: the SQLite store needs the "better-sqlite3" package, which could not be loaded here/);
    assert.match(out, /refused: the PostgreSQL store needs the "pg" package/);
    assert.doesNotMatch(out, /the block did not work/);
  });

  it('without pg, the SQLite store works (pg is loaded only by a PostgreSQL store)', async () => {
    const { code, out } = await run(
      `
      const { createApp, sqliteStore } = await import(${JSON.stringify(ROOT)});
      const { methodConfirmGranted } = await import(${JSON.stringify(BODIES)});
      const app = createApp({ store: sqliteStore(':memory:'), workers: false });
      const answer = await app.fetch(new Request('http://app/bitrix24/events', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: methodConfirmGranted }));
      console.log('status', answer.status, (await answer.json()).error);
      await app.close();
      `,
      'pg',
    );
    assert.equal(code, 0, out);
    assert.match(out, /status 403 unknown_portal/);
  });
});
