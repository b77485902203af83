/**
 * Several processes on one SQLite file: a server taking events while CLI commands park calls beside it, four at a
 * time. Parking reads the ledger and then writes in one transaction; with a deferred BEGIN, a write by another
 * process in between made SQLite refuse the upgrade at once ("database is locked", once in 30 runs).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { httpBuildQuery } from '../../src/protocol/index.js';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { FORM, tempDir } from '../helpers/app.js';
import { runCli, startServer } from '../helpers/cli.js';
import { FULL } from '../helpers/scale.js';

/** Before the fix one round of four failed almost every time; the full run does more. */
const ROUNDS = FULL ? 8 : 1;
let emulator: Emulator;
let running: RunningEmulator;
let server: Awaited<ReturnType<typeof startServer>>;
let env: Record<string, string>;

before(async () => {
  emulator = new Emulator({ rateLimit: false });
  running = await serveEmulator(emulator);
  env = {
    DATABASE_URL: join(tempDir(), 'shared.sqlite'),
    B24_OAUTH_URL: running.url,
    B24_CLIENT_ID: EMULATOR_CLIENT_ID,
    B24_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
  };
  server = await startServer([], env);
});
after(async () => {
  await server?.stop();
  await running?.close();
});

describe('SQLite shared by a server and CLI processes', () => {
  it('call --park four at a time beside a server taking events: no "database is locked"', async () => {
    const { portal, delivery } = await emulator.install(`${server.url}/bitrix24/install`);
    assert.equal(delivery.status, 200);
    let sending = true;
    let sent = 0;
    const load = (async () => {
      for (let i = 0; sending; i++) {
        const body = httpBuildQuery({
          event: 'ONCRMDEALADD',
          ts: String(1478840000 + i),
          data: { FIELDS: { ID: String(i) } },
          auth: {
            domain: portal.domain,
            client_endpoint: `${running.url}/rest/`,
            server_endpoint: `${running.url}/rest/`,
            member_id: portal.memberId,
            application_token: portal.applicationToken,
          },
        });
        const response = await fetch(`${server.url}/bitrix24/events`, {
          method: 'POST',
          headers: { 'content-type': FORM },
          body,
        });
        assert.equal(response.status, 200, await response.text());
        sent++;
      }
    })();
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          runCli(
            ['call', '--member-id', portal.memberId, 'voximplant.user.get', `USER_ID=${round * 4 + i}`, '--park'],
            env,
          ),
        ),
      );
      for (const result of results)
        if (result.code !== 0 || !/"status": "waiting"/.test(result.stdout))
          failures.push(result.stderr || result.stdout);
    }
    sending = false;
    await load;
    assert.deepEqual(failures, []);
    assert.ok(sent > 0, 'the server took events meanwhile');
    const db = new SQLite(env.DATABASE_URL!, { readonly: true });
    assert.equal((db.prepare('select count(*) as n from parked_calls').get() as { n: number }).n, ROUNDS * 4);
    db.close();
  });
});
