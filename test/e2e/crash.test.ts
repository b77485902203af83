/**
 * SIGKILL of the server process under concurrent load, at seeded random moments: every event answered 2xx is on
 * disk exactly once after the restart, with its state change (the permission ledger row) applied once, and no state
 * change exists without its event. Then a kill in the middle of a parked call's replay: after the dead worker's
 * lease runs out, the restarted server replays the calls, each once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import SQLite from 'better-sqlite3';
import { describe, it } from 'node:test';
import { serveEmulator } from '../../src/emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { sha256Hex } from '../../src/protocol/index.js';
import { openStore } from '../../src/store/open.js';
import { createApp } from '../../src/index.js';
import * as bodies from '../fixtures/bodies.js';
import { eventually, FORM, tempDir } from '../helpers/app.js';
import { startServer } from '../helpers/cli.js';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { FULL, FUZZ_SEED } from '../helpers/scale.js';

/** A small seeded generator (mulberry32): the same kill points on every run unless FUZZ_SEED changes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROUNDS = FULL ? 12 : 2;
const SENDERS = 6;
const confirm = (token: string, ts: number) =>
  bodies.methodConfirmGranted
    .replace(`TOKEN%5D=${bodies.CONFIRM_TOKEN}`, `TOKEN%5D=${token}`)
    .replace('ts=1478790852', `ts=${ts}`);

/** The events test, on a SQLite file or a PostgreSQL database (a URL either way). */
async function killUnderLoad(db: string): Promise<void> {
  const setup = createApp({ store: openStore(db), workers: false, logger: { level: 'silent' } });
  await setup.installations.add({
    memberId: bodies.MEMBER_ID,
    domain: bodies.DOMAIN,
    applicationToken: bodies.APPLICATION_TOKEN,
  });
  await setup.close();
  const next = random(FUZZ_SEED);
  const acknowledged = new Map<string, number>(); // token -> inbox id
  const killPoints: number[] = [];
  let sent = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer(['--db', db]);
    const killAfter = Math.floor(next() * 40);
    let ackedThisRound = 0;
    let killed: Promise<number | null> | undefined;
    const sender = async (lane: number) => {
      for (let n = 0; !killed; n++) {
        const token = `crash${round}x${lane}x${n}`;
        sent++;
        try {
          const response = await fetch(`${server.url}/bitrix24/events`, {
            method: 'POST',
            headers: { 'content-type': FORM },
            body: confirm(token, 1478790852 + n),
          });
          const answer = (await response.json()) as { id: number };
          assert.equal(response.status, 200, JSON.stringify(answer));
          acknowledged.set(token, answer.id);
          if (++ackedThisRound >= killAfter) killed ??= server.kill('SIGKILL');
        } catch (error) {
          if (!killed) throw error;
          return; // the connection died with the server: this event was not acknowledged
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, (_, lane) => sender(lane)));
    await killed;
    killPoints.push(ackedThisRound);
  }
  // The last restart: the database as a new process finds it (SQLite replays its WAL), then read.
  const restarted = await startServer(['--db', db]);
  await restarted.stop();
  const store = openStore(db);
  const inbox = await store.db
    .selectFrom('inbox')
    .select(['id', 'payload'])
    .where('event', '=', 'ONAPPMETHODCONFIRM')
    .execute();
  const ledger = await store.db.selectFrom('permissions').select(['token_hash', 'state']).execute();
  await store.close();
  const inboxByHash = new Map<string, number[]>();
  for (const row of inbox) {
    const hash = (JSON.parse(row.payload) as { data: { TOKEN: string } }).data.TOKEN.replace('sha256:', '');
    inboxByHash.set(hash, [...(inboxByHash.get(hash) ?? []), Number(row.id)]);
  }
  for (const [token, id] of acknowledged)
    assert.deepEqual(inboxByHash.get(sha256Hex(token)), [id], `acknowledged ${token} stored once as ${id}`);
  assert.ok(
    [...inboxByHash.values()].every((ids) => ids.length === 1),
    'no event stored twice',
  );
  assert.deepEqual(
    new Set(ledger.map((p) => p.token_hash)),
    new Set(inboxByHash.keys()),
    'a ledger row for each stored event, none without one',
  );
  assert.equal(ledger.length, inboxByHash.size);
  assert.ok(ledger.every((p) => p.state === 'granted'));
  process.stdout.write(
    `# crash ${db.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'}: ${ROUNDS} kills after ${killPoints.join(', ')} acknowledgements; ${acknowledged.size} acknowledged, ${inbox.length} stored, ${sent} sent\n`,
  );
}

const pgUnavailable = await postgresUnavailable();

describe('crash safety', () => {
  const title = `SIGKILL at ${ROUNDS} random moments under ${SENDERS} concurrent senders: every acknowledged event stored once, its ledger row applied once`;
  it(`${title} (SQLite)`, () => killUnderLoad(join(tempDir(), 'crash.sqlite')));

  it(`${title} (PostgreSQL)`, { skip: pgUnavailable ?? false }, async () => {
    const database = await freshDatabase();
    try {
      await killUnderLoad(database.url);
    } finally {
      await database.drop();
    }
  });

  it('SIGKILL while a parked call is being replayed: the calls stay ready under the dead lease, then run once after it', async () => {
    const emulator = new Emulator({ rateLimit: false });
    const running = await serveEmulator(emulator);
    // Hold every REST request the server sends until told otherwise: the server dies with its batch in flight.
    const [portalHandler] = running.server.listeners('request') as ((
      req: IncomingMessage,
      res: ServerResponse,
    ) => void)[];
    let holding = true;
    let held = 0;
    running.server.removeAllListeners('request');
    running.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (holding && req.url?.startsWith('/rest/batch')) held++;
      else portalHandler!(req, res);
    });
    const db = join(tempDir(), 'lease.sqlite');
    const env = {
      B24_OAUTH_URL: running.url,
      B24_CLIENT_ID: EMULATOR_CLIENT_ID,
      B24_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
    };
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      server = await startServer(['--db', db], env);
      const { portal, delivery } = await emulator.install(`${server.url}/bitrix24/install`);
      assert.equal(delivery.status, 200);
      const file = new SQLite(db);
      const { access_token: token } = file.prepare('select access_token from installations').get() as {
        access_token: string;
      };
      const at = new Date().toISOString();
      const park = file.prepare(
        `insert into parked_calls (member_id, method, params, token_hash, continuation, state, created_at, updated_at, next_attempt_at, attempts, continuation_status, continuation_attempts) values (?, 'app.info', '{}', ?, 'none', 'ready', ?, ?, ?, 0, 'pending', 0)`,
      );
      for (let i = 0; i < 5; i++) park.run(portal.memberId, sha256Hex(token), at, at, at);
      await eventually(() => held > 0, 10_000);
      await server.kill('SIGKILL');
      const leased = file
        .prepare("select count(*) as n from parked_calls where state = 'ready' and locked_until > ?")
        .get(new Date().toISOString()) as { n: number };
      assert.equal(leased.n, 5, 'the dead worker still holds the lease');
      // The lease (2 minutes) runs out: move it into the past instead of waiting.
      file.prepare("update parked_calls set locked_until = '2000-01-01T00:00:00.000Z'").run();
      file.close();
      holding = false;
      server = await startServer(['--db', db], env);
      await eventually(() => {
        const check = new SQLite(db, { readonly: true });
        const done = check.prepare("select count(*) as n from parked_calls where state = 'done'").get() as {
          n: number;
        };
        check.close();
        return done.n === 5;
      }, 15_000);
      assert.equal(emulator.stats.executed.get('app.info'), 5, 'each call ran once at the portal');
    } finally {
      await server?.stop();
      await running.close();
    }
  });
});
