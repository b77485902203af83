/**
 * Tokens that never lapse (issue 10, part 4): the keep-alive refreshes a quiet portal's tokens every
 * refreshEveryDays, once per portal across instances; a refresh token the OAuth server refuses for good leaves the
 * installation needs_reinstall (CLI, metrics, a log line, PortalUnavailableError), and a new install heals it.
 * Time passes by moving the app's clock (createApp's `clock`) and the emulator's together, never by waiting.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ConfigurationError, createApp, PortalUnavailableError, type AppOptions } from '../../src/index.js';
import { postgresStore } from '../../src/store/postgres.js';
import { capturedLogger, eventually } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { injectFaults } from '../helpers/faults.js';
import { freshDatabase, postgresUnavailable, type FreshDatabase } from '../helpers/postgres.js';
import { unless } from '../helpers/skip.js';
import { startStack, type Stack } from '../helpers/stack.js';

const DAY_MS = 86_400_000;
const pgSkip = await postgresUnavailable();

let stack: Stack | undefined;
let database: FreshDatabase | undefined;
afterEach(async () => {
  await stack?.close();
  await database?.drop();
  stack = undefined;
  database = undefined;
});

/** The app's clock and the portal's, moved forward together; `reads` counts how often each instance looked. */
function clocks() {
  let offsetMs = 0;
  const reads: number[] = [];
  return {
    reads,
    /** The app's time now (read by the test: not counted). */
    now: () => Date.now() + offsetMs,
    of(instance: number) {
      reads[instance] = 0;
      return () => {
        reads[instance]!++;
        return Date.now() + offsetMs;
      };
    },
    advance(s: Stack, days: number) {
      offsetMs += days * DAY_MS;
      s.emulator.advanceClock(days * DAY_MS);
    },
  };
}

const keepAlive: AppOptions = { tokens: { pollMs: 10, retryDelayMs: 20, maxRetryDelayMs: 50 } };

const engines = [
  { name: 'SQLite', skip: false as const },
  { name: 'PostgreSQL', skip: pgSkip ?? (false as const) },
];

async function open(engine: string, options: AppOptions): Promise<Stack> {
  if (engine === 'SQLite') return startStack({ app: options });
  database = await freshDatabase();
  const url = database.url;
  return startStack({ app: options, openStore: () => postgresStore(url) });
}

const databaseOf = (s: Stack) => database?.url ?? s.dbPath;

describe(
  'token keep-alive across three instances on one PostgreSQL',
  unless(pgSkip, () => {
    it('a portal idle past refreshEveryDays is refreshed exactly once across three instances', async () => {
      const time = clocks();
      stack = await open('PostgreSQL', { ...keepAlive, clock: time.of(0) });
      const s = stack;
      const others = [s.newApp({ clock: time.of(1) }), s.newApp({ clock: time.of(2) })];
      await Promise.all(others.map((a) => a.ready()));
      const before = s.emulator.authority.refreshesOf(s.memberId);
      const installed = await s.app.installations.get(s.memberId);

      time.advance(s, 31);
      await eventually(() => s.emulator.authority.refreshesOf(s.memberId).ok === before.ok + 1, 10_000);
      const refreshed = await eventually(async () => {
        const row = await s.app.installations.get(s.memberId);
        return row?.tokensRefreshedAt !== installed?.tokensRefreshedAt ? row : undefined;
      });
      // Every instance looks again, twice, after the pair was stored: none of them refreshes it a second time.
      const seen = [...time.reads];
      await eventually(() => time.reads.every((n, i) => n >= seen[i]! + 3), 10_000);
      assert.deepEqual(s.emulator.authority.refreshesOf(s.memberId), { ok: before.ok + 1, invalidGrant: 0 });
      assert.equal(refreshed.status, 'active');
      assert.equal(refreshed.refreshError, null);
      for (const app of [s.app, ...others])
        assert.equal((await app.rest(s.memberId).call('app.info')).status, 'ok', 'the new pair works everywhere');
    });

    it('calls refreshing on demand and the keep-alive never spend one refresh token twice', async () => {
      const time = clocks();
      stack = await open('PostgreSQL', { ...keepAlive, clock: time.of(0) });
      const s = stack;
      const apps = [s.app, s.newApp({ clock: time.of(1) }), s.newApp({ clock: time.of(2) })];
      await Promise.all(apps.map((a) => a.ready()));
      const before = s.emulator.authority.refreshesOf(s.memberId);
      // A month passes: the keep-alive is due and the access token has expired, so every call wants a refresh too.
      s.emulator.expireTokens(s.memberId);
      time.advance(s, 31);
      const outcomes = await Promise.all(
        apps.flatMap((app) => Array.from({ length: 5 }, () => app.rest(s.memberId).call('app.info'))),
      );
      assert.ok(outcomes.every((o) => o.status === 'ok'));
      const seen = [...time.reads];
      await eventually(() => time.reads.every((n, i) => n >= seen[i]! + 3), 10_000);
      assert.deepEqual(s.emulator.authority.refreshesOf(s.memberId), { ok: before.ok + 1, invalidGrant: 0 });
      assert.equal((await s.app.installations.get(s.memberId))?.status, 'active');
    });
  }),
);

describe('tokens that never lapse', () => {
  it('a portal with no calls for 217 days keeps its access: refreshed every 30 days, never past the 180-day life', async () => {
    const time = clocks();
    stack = await startStack({ app: { ...keepAlive, clock: time.of(0) } });
    const s = stack;
    for (let month = 1; month <= 7; month++) {
      const before = s.emulator.authority.refreshesOf(s.memberId).ok;
      time.advance(s, 31);
      await eventually(() => s.emulator.authority.refreshesOf(s.memberId).ok > before, 10_000);
    }
    assert.equal((await s.app.rest(s.memberId).call('app.info')).status, 'ok');
    assert.equal(s.emulator.authority.refreshesOf(s.memberId).invalidGrant, 0);
  });

  it('a pair whose answer arrives late is dated from when it was asked for: the next refresh is not put off', async () => {
    const time = clocks();
    stack = await startStack({ app: { ...keepAlive, clock: time.of(0) } });
    const s = stack;
    const faults = injectFaults(s.emulatorServer);
    const installed = await s.app.installations.get(s.memberId);
    const before = s.emulator.authority.refreshesOf(s.memberId).ok;
    faults.mode = 'hold-oauth-answer';
    time.advance(s, 31);
    // The OAuth server has issued the new pair (the old refresh token is spent); its answer is still on the way...
    await eventually(() => faults.held === 1, 10_000);
    const asked = time.now();
    // ...when another 31 days pass: the pair the app stores is 31 days old already.
    time.advance(s, 31);
    faults.release();
    const stored = await eventually(async () => {
      const row = await s.app.installations.get(s.memberId);
      return row?.tokensRefreshedAt !== installed?.tokensRefreshedAt ? row : undefined;
    }, 10_000);
    assert.ok(
      new Date(stored.tokensRefreshedAt!).getTime() <= asked,
      `the pair is dated ${String(stored.tokensRefreshedAt)}, after it was asked for (${new Date(asked).toISOString()})`,
    );
    // So it is due again at once: the keep-alive refreshes it (that answer held too, until now).
    await eventually(() => faults.held === 1, 10_000);
    faults.mode = 'pass';
    faults.release();
    await eventually(async () => {
      const row = await s.app.installations.get(s.memberId);
      return row?.tokensRefreshedAt !== stored.tokensRefreshedAt;
    }, 10_000);
    assert.deepEqual(s.emulator.authority.refreshesOf(s.memberId), { ok: before + 2, invalidGrant: 0 });
    assert.equal((await s.app.rest(s.memberId).call('app.info')).status, 'ok');
  });

  it('refuses a refreshEveryDays that could not keep a token alive', () => {
    for (const days of [0, -1, 180, 365, Number.NaN])
      assert.throws(() => createApp({ tokens: { refreshEveryDays: days } }), ConfigurationError);
    const env = process.env.B24_TOKENS_REFRESH_EVERY_DAYS;
    process.env.B24_TOKENS_REFRESH_EVERY_DAYS = 'monthly';
    try {
      assert.throws(
        () => createApp(),
        /B24_TOKENS_REFRESH_EVERY_DAYS\) must be a number of days above 0 and below 180/,
      );
    } finally {
      if (env === undefined) delete process.env.B24_TOKENS_REFRESH_EVERY_DAYS;
      else process.env.B24_TOKENS_REFRESH_EVERY_DAYS = env;
    }
  });

  it('a wrong client secret (invalid_client) is the app’s configuration: the installation stays active, the error is shown and logged', async () => {
    const time = clocks();
    stack = await startStack({ app: { ...keepAlive, clock: time.of(0) } });
    const s = stack;
    await s.app.close();
    const { lines, logger } = capturedLogger('info');
    const misconfigured = s.newApp({ clientSecret: 'not-the-secret', clock: time.of(1), logger });
    await misconfigured.ready();
    time.advance(s, 31);
    const shown = await eventually(async () => {
      const row = await misconfigured.installations.get(s.memberId);
      return row?.refreshError ? row : undefined;
    }, 10_000);
    assert.equal(shown.status, 'active');
    assert.match(shown.refreshError!, /invalid_client/);
    assert.ok(lines.some((l) => l.includes('check B24_CLIENT_SECRET') && l.includes(s.memberId)));
    assert.ok(!lines.join('').includes('not-the-secret'));
  });
});

for (const engine of engines) {
  describe(
    `a refresh token refused for good (${engine.name})`,
    unless(engine.skip, () => {
      it('idle past the refresh token’s 180 days: needs_reinstall in the CLI, metrics and log; calls and parked calls fail with PortalUnavailableError; ONAPPINSTALL heals it', async () => {
        const time = clocks();
        const { lines, logger } = capturedLogger('info');
        stack = await open(engine.name, { ...keepAlive, clock: time.of(0), logger });
        const s = stack;
        const secrets = await s.app.store.db.selectFrom('installations').selectAll().executeTakeFirstOrThrow();
        const parked = await s.app
          .rest(s.memberId)
          .call('voximplant.user.get', { USER_ID: 1 }, { whenWaiting: { park: 'sync' } });
        assert.ok(parked.status === 'waiting' && parked.parkedCallId);

        time.advance(s, 181);
        const lost = await eventually(async () => {
          const row = await s.app.installations.get(s.memberId);
          return row?.status === 'needs_reinstall' ? row : undefined;
        }, 10_000);
        assert.match(lost.refreshError!, /^invalid_grant at http:\/\/127\.0\.0\.1:\d+$/);

        const listed = await runCli(['installations', '--db', databaseOf(s)]);
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(listed.stdout, new RegExp(`${s.memberId}\\s+\\S+\\s+needs_reinstall`));
        assert.match(
          listed.stdout,
          /1 installation\(s\) need reinstalling: the OAuth server refused their refresh token/,
        );
        const json = await runCli(['installations', '--json', '--db', databaseOf(s)]);
        assert.equal((JSON.parse(json.stdout) as { status: string }[])[0]?.status, 'needs_reinstall');

        await assert.rejects(s.app.rest(s.memberId).call('app.info'), (error: unknown) => {
          assert.ok(error instanceof PortalUnavailableError);
          assert.equal(error.code, 'portal_unavailable');
          assert.equal(error.installationStatus, 'needs_reinstall');
          assert.match(error.message, /the portal must reinstall the app/);
          return true;
        });

        // The administrator grants the parked call: its replay fails at once, with the same message, no retries.
        await s.emulator.decide(s.emulator.waiting()[0]!.id, true);
        const failed = await eventually(async () => {
          const call = await s.app.calls.get(parked.parkedCallId!);
          return call?.state === 'failed' ? call : undefined;
        }, 10_000);
        assert.match(String(failed.error), /PortalUnavailableError: .*the portal must reinstall the app/);
        assert.equal(failed.attempts, 1);

        const metrics = await s.app.metrics.metrics();
        assert.match(metrics, /b24_events_installations\{status="needs_reinstall"\} 1/);
        assert.match(metrics, /b24_events_token_refresh_failures_total\{reason="invalid_grant"\} 1/);
        const logged = lines.filter((l) => l.includes('needs reinstalling'));
        assert.equal(logged.length, 1);
        assert.ok(logged[0]!.includes(`"memberId":"${s.memberId}"`));
        for (const secret of [secrets.access_token!, secrets.refresh_token!, secrets.application_token])
          assert.ok(
            !lines.join('').includes(secret) &&
              !listed.stdout.includes(secret) &&
              !String(failed.error).includes(secret),
          );
        assert.equal(s.emulator.authority.refreshesOf(s.memberId).invalidGrant, 1, 'asked once, not again');

        // The administrator installs the app again (ONAPPINSTALL with fresh tokens): healed.
        const { deliveries } = await s.emulator.update(s.memberId);
        assert.equal(deliveries[0]?.status, 200);
        const healed = await s.app.installations.get(s.memberId);
        assert.equal(healed?.status, 'active');
        assert.equal(healed?.refreshError, null);
        assert.equal((await s.app.rest(s.memberId).call('app.info')).status, 'ok');
      });

      it('a call whose refresh meets invalid_grant (the token revoked) rejects with PortalUnavailableError, and later calls at once', async () => {
        stack = await open(engine.name, keepAlive);
        const s = stack;
        s.emulator.revokeTokens(s.memberId, 'refresh');
        s.emulator.expireTokens(s.memberId);
        for (let i = 0; i < 2; i++)
          await assert.rejects(s.app.rest(s.memberId).call('app.info'), PortalUnavailableError);
        assert.equal(s.emulator.authority.refreshesOf(s.memberId).invalidGrant, 1, 'the second call asked no one');
        assert.equal((await s.app.installations.get(s.memberId))?.status, 'needs_reinstall');
      });
    }),
  );
}
