/**
 * The fast ingest path as a user meets it: `b24-events serve` under 32 concurrent connections, its group commits
 * and its cache of application_tokens. SIGKILL in the middle of the load loses no acknowledged event and stores none
 * twice; a token changed beside the server (the CLI, another instance) is refused at once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../src/protocol/index.js';
import { openStore } from '../../src/store/open.js';
import * as bodies from '../fixtures/bodies.js';
import { FORM, tempDir } from '../helpers/app.js';
import { runCli, startServer } from '../helpers/cli.js';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';

const CONNECTIONS = 32;
const confirm = (token: string) =>
  bodies.methodConfirmGranted.replace(`TOKEN%5D=${bodies.CONFIRM_TOKEN}`, `TOKEN%5D=${token}`);
const post = (url: string, body: string) =>
  fetch(`${url}/bitrix24/events`, { method: 'POST', headers: { 'content-type': FORM }, body });

async function addInstallation(db: string, applicationToken: string): Promise<void> {
  const added = await runCli(
    [
      'installations',
      'add',
      '--member-id',
      bodies.MEMBER_ID,
      '--domain',
      bodies.DOMAIN,
      '--application-token',
      applicationToken,
    ],
    { DATABASE_URL: db },
  );
  assert.equal(added.code, 0, added.stderr);
}

async function killUnder32Connections(db: string): Promise<void> {
  await addInstallation(db, bodies.APPLICATION_TOKEN);
  const server = await startServer(['--db', db]);
  const acknowledged = new Map<string, number>(); // token -> inbox id
  let killed: Promise<number | null> | undefined;
  const lane = async (n: number) => {
    for (let i = 0; !killed; i++) {
      const token = `load${n}x${i}`;
      try {
        const response = await post(server.url, confirm(token));
        const answer = (await response.json()) as { id: number };
        assert.equal(response.status, 200, JSON.stringify(answer));
        acknowledged.set(token, answer.id);
        // Killed in the middle of the load: many requests are in flight, some inside a group commit.
        if (acknowledged.size >= 300) killed ??= server.kill('SIGKILL');
      } catch (error) {
        if (!killed) throw error;
        return; // the connection died with the server: not acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => lane(n)));
  await killed;
  const store = openStore(db);
  try {
    const rows = await store.db.selectFrom('inbox').select(['id', 'payload']).execute();
    const ledger = await store.db.selectFrom('permissions').select('token_hash').execute();
    const ids = new Map<string, number[]>();
    for (const row of rows) {
      const hash = (JSON.parse(row.payload) as { data: { TOKEN: string } }).data.TOKEN.replace('sha256:', '');
      ids.set(hash, [...(ids.get(hash) ?? []), Number(row.id)]);
    }
    for (const [token, id] of acknowledged) {
      assert.deepEqual(ids.get(sha256Hex(token)), [id], `acknowledged ${token} is stored once, as ${id}`);
    }
    assert.ok(
      [...ids.values()].every((list) => list.length === 1),
      'no event is stored twice',
    );
    assert.equal(ledger.length, ids.size, 'each stored decision is in the ledger once');
  } finally {
    await store.close();
  }
}

/** Two servers on one database, or a server and the CLI beside it: a changed token is refused at once. */
async function tokenChangedElsewhere(db: string, instances: 1 | 2): Promise<void> {
  await addInstallation(db, bodies.APPLICATION_TOKEN);
  const first = await startServer(['--db', db]);
  const second = instances === 2 ? await startServer(['--db', db]) : first;
  try {
    // Both have proved (and cached) the portal's token.
    for (const server of new Set([first, second]))
      assert.equal((await post(server.url, confirm(`warm${server.url}`))).status, 200);
    await addInstallation(db, 'b'.repeat(32)); // a reinstall registered by hand
    const old = await post(second.url, confirm('after-change'));
    assert.equal(old.status, 403);
    assert.equal(((await old.json()) as { error: string }).error, 'token_mismatch');
    const renewed = confirm('with-new-token').replace(bodies.APPLICATION_TOKEN, 'b'.repeat(32));
    assert.equal((await post(second.url, renewed)).status, 200);
  } finally {
    await first.stop();
    if (second !== first) await second.stop();
  }
}

const pgUnavailable = await postgresUnavailable();

async function onPostgres(run: (url: string) => Promise<void>): Promise<void> {
  const database = await freshDatabase();
  try {
    await run(database.url);
  } finally {
    await database.drop();
  }
}

describe('ingest under load', () => {
  it(`SIGKILL during a ${CONNECTIONS}-connection load: every acknowledged event is stored once (SQLite)`, () =>
    killUnder32Connections(join(tempDir(), 'load.sqlite')));

  it(
    `SIGKILL during a ${CONNECTIONS}-connection load: every acknowledged event is stored once (PostgreSQL)`,
    { skip: pgUnavailable ?? false },
    () => onPostgres(killUnder32Connections),
  );

  it('refuses a cached application_token as soon as the CLI beside the server changes it (SQLite)', () =>
    tokenChangedElsewhere(join(tempDir(), 'cache.sqlite'), 1));

  it(
    'refuses a cached application_token on every instance as soon as it changes (PostgreSQL, two servers)',
    { skip: pgUnavailable ?? false },
    () => onPostgres((url) => tokenChangedElsewhere(url, 2)),
  );
});
