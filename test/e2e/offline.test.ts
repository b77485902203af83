/**
 * Never lose an event (issue 11): the app is away while portals change, and every change reaches a handler from the
 * offline queue after the restart, once; a crash between reserving and acknowledging a batch loses and duplicates
 * nothing; a portal without reservation, bad records and a failing portal are handled visibly.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { BITRIX24_RATE_LIMIT } from '../../src/protocol/index.js';
import type { AppOptions, B24App } from '../../src/index.js';
import { eventually } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { FULL } from '../helpers/scale.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

interface Seen {
  memberId: string;
  id: string;
  via: string;
}

/** An app whose ONCRMDEALUPDATE handler records which deal of which portal it saw, and through which channel. */
function recording(app: B24App, seen: Seen[]): B24App {
  return app.on('ONCRMDEALUPDATE', (event, ctx) => {
    const data = event.data as { FIELDS?: { ID?: string } };
    seen.push({ memberId: ctx.memberId, id: String(data.FIELDS?.ID), via: ctx.via });
  });
}

const offlineFast: AppOptions = {
  offline: { pollMs: 250, retryDelayMs: 20, maxRetryDelayMs: 100, signalMinTimeout: 1 },
};

async function installPortals(s: Stack, count: number): Promise<string[]> {
  const members: string[] = [];
  for (let i = 0; i < count; i++) {
    const { portal } = await s.emulator.install(`${s.appUrl}/bitrix24/install`);
    members.push(portal.memberId);
    // Bound online (the three lifecycle events, the deal event, ONOFFLINEEVENT) and offline (the deal event).
    await eventually(
      () => portal.bindings.length === 5 && s.emulator.offline.queue(portal.memberId).bindings.length === 1,
    );
  }
  return members;
}

const change = (s: Stack, memberId: string, id: number) =>
  s.emulator.trigger(memberId, 'ONCRMDEALUPDATE', { set: [`data.FIELDS.ID=${id}`] });

describe('offline queue reconciliation (safety net)', () => {
  it('recovers every change made while the server was away, once, within the REST budget', async (t) => {
    const seen: Seen[] = [];
    stack = await startStack({
      install: false,
      emulator: { rateLimit: BITRIX24_RATE_LIMIT },
      app: { ...offlineFast, rest: { rateLimit: BITRIX24_RATE_LIMIT, retryDelayMs: 50 } },
    });
    const s = stack;
    recording(s.app, seen);
    const members = await installPortals(s, 3);

    // Online while the server runs: 30 deals, each handled once (online).
    for (let id = 1; id <= 30; id++) await change(s, members[id % 3]!, id);
    await eventually(() => seen.length === 30, 20_000);

    // The server is killed: every delivery is lost (Bitrix24 never resends) while 500 changes happen on 400 deals.
    await s.app.close();
    const downFor = FULL ? 30_000 : 0;
    s.emulator.offline.outageUntil = Date.now() + downFor + 60_000;
    const changed = new Set<string>();
    const started = Date.now();
    for (let n = 0; n < 500; n++) {
      const id = 1000 + (n % 400);
      const memberId = members[id % 3]!;
      await change(s, memberId, id);
      changed.add(`${memberId}/${id}`);
      if (FULL) await new Promise((resolve) => setTimeout(resolve, downFor / 500));
    }
    while (Date.now() - started < downFor) await new Promise((resolve) => setTimeout(resolve, 100));
    s.emulator.offline.outageUntil = 0;

    // Restarted: the start-up reconciliation reads every portal's queue.
    const requestsBefore = s.emulator.stats.restRequests;
    const restarted = Date.now();
    const next = recording(s.newApp(offlineFast), seen);
    s.serve(next);
    await next.ready();
    const recovered = () => new Set(seen.filter((e) => e.via === 'offline').map((e) => `${e.memberId}/${e.id}`));
    const stored = async () => (await next.offline.status()).reduce((sum, p) => sum + p.recovered, 0);
    await eventually(async () => (await stored()) === changed.size, 60_000);
    const resyncMs = Date.now() - restarted;
    await eventually(() => recovered().size === changed.size, 60_000);
    const handledMs = Date.now() - restarted;
    await eventually(async () => (await next.offline.status()).every((p) => p.backlog === 0 && !p.running));
    const requests = s.emulator.stats.restRequests - requestsBefore;

    // 100 % recovered; none handled twice because of the two channels; the budget held.
    assert.deepEqual([...recovered()].sort(), [...changed].sort());
    const runs = new Map<string, number>();
    for (const e of seen) runs.set(`${e.memberId}/${e.id}`, (runs.get(`${e.memberId}/${e.id}`) ?? 0) + 1);
    assert.ok(
      [...runs.values()].every((n) => n === 1),
      'every deal handled exactly once',
    );
    assert.equal(s.emulator.stats.rateLimited, 0, 'no QUERY_LIMIT_EXCEEDED');
    const status = await next.offline.status();
    assert.equal(
      status.reduce((sum, p) => sum + p.recovered, 0),
      changed.size,
    );
    for (const m of members) assert.equal(s.emulator.offline.records(m, 'b24events').length, 0, 'queues drained');
    t.diagnostic(`setup and outage phase: ${restarted - started} ms`);
    t.diagnostic(
      `recovered ${recovered().size}/${changed.size} (${((100 * recovered().size) / changed.size).toFixed(1)} %); ` +
        `in the inbox ${resyncMs} ms after the restart, handled after ${handledMs} ms; ${requests} REST requests ` +
        `(${((1000 * requests) / recovered().size).toFixed(1)} per 1,000 recovered events)`,
    );
  });
});

describe('a crash between reserving and acknowledging a batch', () => {
  const outage = (s: Stack) => {
    s.emulator.offline.outageUntil = Date.now() + 60_000;
  };

  it('acknowledges a stored batch after the restart without storing it again', async () => {
    const seen: Seen[] = [];
    stack = await startStack({ install: false, app: offlineFast });
    const s = stack;
    recording(s.app, seen);
    const [memberId] = await installPortals(s, 1);
    outage(s);
    // The batch is stored (handlers run), then the acknowledgement fails: the run ends before event.offline.clear.
    s.emulator.offline.fault = {
      status: 400,
      error: 'ERROR_CORE',
      description: 'fault',
      methods: ['event.offline.clear'],
    };
    for (let id = 1; id <= 20; id++) await change(s, memberId!, id);
    await s.app.offline.reconcile(memberId);
    await eventually(async () => (await s.app.offline.status(memberId))[0]?.errors === 1);
    assert.equal((await s.app.offline.status(memberId))[0]?.reservedBatch, true);
    await s.app.close();
    s.emulator.offline.fault = undefined;

    const next = recording(s.newApp(offlineFast), seen);
    s.serve(next);
    await next.ready();
    await eventually(() => s.emulator.offline.records(memberId!, 'b24events').length === 0);
    await eventually(() => seen.length === 20);
    const status = (await next.offline.status(memberId))[0]!;
    assert.equal(status.recovered, 20, 'stored once');
    assert.equal(status.reservedBatch, false);
    assert.equal(new Set(seen.map((e) => e.id)).size, 20);
  });

  it('reads a batch reserved by a run that died before remembering it, and stores it once', async () => {
    const seen: Seen[] = [];
    stack = await startStack({ install: false, app: offlineFast });
    const s = stack;
    recording(s.app, seen);
    const [memberId] = await installPortals(s, 1);
    await s.app.close();
    outage(s);
    for (let id = 1; id <= 20; id++) await change(s, memberId!, id);
    // The portal answered event.offline.get (clear=0) and the process died before writing the process_id down.
    const portal = s.emulator.portal(memberId!);
    const token = s.emulator.issueTokens(portal).access_token;
    const reserved = s.emulator.rest('event.offline.get', { auth: token, clear: '0', auth_connector: 'b24events' });
    assert.equal((reserved.body as { result: { events: unknown[] } }).result.events.length, 20);

    const next = recording(s.newApp(offlineFast), seen);
    s.serve(next);
    await next.ready();
    await eventually(() => seen.length === 20);
    await eventually(() => s.emulator.offline.records(memberId!, 'b24events').length === 0);
    assert.equal(new Set(seen.map((e) => e.id)).size, 20);
    assert.equal((await next.offline.status(memberId))[0]?.recovered, 20);
  });
});

describe('pull mode and portals that differ', () => {
  it('delivers the same events with no inbound HTTP after the install (delivery: pull)', async () => {
    const seen: Seen[] = [];
    stack = await startStack({
      install: false,
      app: { delivery: 'pull', publicUrl: undefined, offline: { ...offlineFast.offline, pullIntervalMs: 50 } },
    });
    const s = stack;
    recording(s.app, seen);
    const { portal } = await s.emulator.install(`${s.appUrl}/bitrix24/install`);
    await eventually(() => s.emulator.offline.queue(portal.memberId).bindings.length === 1);
    assert.equal(portal.bindings.length, 0, 'nothing bound online');
    const deliveriesAfterInstall = s.emulator.deliveries.length;
    for (let id = 1; id <= 20; id++) await change(s, portal.memberId, id);
    await eventually(() => seen.length === 20);
    assert.ok(seen.every((e) => e.via === 'offline'));
    assert.equal(s.emulator.deliveries.length, deliveriesAfterInstall, 'no delivery to the app after the install');

    // Visible: the CLI and /metrics show the portal's reconciliation (metrics without a member_id).
    await eventually(async () => (await s.app.offline.status())[0]?.recovered === 20);
    const cli = await runCli(['offline', '--db', s.dbPath, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const [row] = JSON.parse(cli.stdout) as { memberId: string; recovered: number; backlog: number; mode: string }[];
    assert.deepEqual([row?.memberId, row?.recovered, row?.mode], [portal.memberId, 20, 'reserve']);
    const inbox = await runCli(['inbox', '--db', s.dbPath, '--event', 'ONCRMDEALUPDATE', '--limit', '1']);
    assert.match(inbox.stdout, /ONCRMDEALUPDATE +offline /);
    assert.match((await runCli(['serve', '--help'])).stdout, /--pull +bind business events offline only/);
    const table = await runCli(['offline', '--db', s.dbPath]);
    assert.match(table.stdout, /MEMBER ID +MODE +LAST RECONCILED +RECOVERED/);
    const metrics = await s.app.metrics.metrics();
    assert.match(metrics, /b24_events_offline_records_total\{outcome="recovered"\} 20/);
    assert.match(metrics, /b24_events_offline_backlog 0/);
    assert.ok(!metrics.includes(portal.memberId));
  });

  it('reads with clear=1 where the plan refuses reservation, and says so', async () => {
    const seen: Seen[] = [];
    stack = await startStack({ install: false, app: offlineFast });
    const s = stack;
    s.emulator.offline.extended = false;
    recording(s.app, seen);
    const [memberId] = await installPortals(s, 1);
    s.emulator.offline.outageUntil = Date.now() + 60_000;
    for (let id = 1; id <= 20; id++) await change(s, memberId!, id);
    await s.app.offline.reconcile(memberId);
    await eventually(() => seen.length === 20);
    assert.equal((await s.app.offline.status(memberId))[0]?.mode, 'clear');
    assert.equal(s.emulator.offline.records(memberId!, 'b24events').length, 0);
  });

  it('stores records with an unknown event or no ids as failed, with the reason, and marks them in the queue', async () => {
    stack = await startStack({ install: false, app: offlineFast });
    const s = stack;
    recording(s.app, []);
    const [memberId] = await installPortals(s, 1);
    const queue = s.emulator.offline.queue(memberId!);
    const base = { userId: 1, connector: 'b24events', processId: null, error: false, timestampX: Date.now() };
    queue.records.push(
      { ...base, id: 9001, eventName: 'ONCRMLEADADD', eventData: { FIELDS: { ID: '5' } }, messageId: 'a'.repeat(32) },
      { ...base, id: 9002, eventName: 'ONCRMDEALUPDATE', eventData: false, messageId: 'b'.repeat(32) },
    );
    await s.app.offline.reconcile(memberId);
    await eventually(async () => (await s.app.offline.status(memberId))[0]?.failed === 2);
    const failed = await s.app.inbox.list({ status: 'failed' });
    assert.deepEqual(failed.map((e) => [e.event, e.via]).sort(), [
      ['ONCRMDEALUPDATE', 'offline'],
      ['ONCRMLEADADD', 'offline'],
    ]);
    assert.match(failed.find((e) => e.event === 'ONCRMLEADADD')!.lastError!, /no handler for ONCRMLEADADD/);
    assert.match(failed.find((e) => e.event === 'ONCRMDEALUPDATE')!.lastError!, /EVENT_DATA: no object ids/);
    // event.offline.error marked both; the clear of their batch left them in the queue, outside every batch.
    await eventually(() => queue.records.length === 2 && queue.records.every((r) => r.error && r.processId === null));
  });

  it('backs off from a portal that answers errors, shows it, and catches up when it recovers', async () => {
    const seen: Seen[] = [];
    stack = await startStack({ install: false, app: offlineFast });
    const s = stack;
    recording(s.app, seen);
    const [memberId] = await installPortals(s, 1);
    s.emulator.offline.outageUntil = Date.now() + 60_000;
    s.emulator.offline.fault = { status: 400, error: 'ERROR_CORE', description: 'the queue is away' };
    for (let id = 1; id <= 5; id++) await change(s, memberId!, id);
    await s.app.offline.reconcile(memberId);
    const failing = await eventually(async () => {
      const [status] = await s.app.offline.status(memberId);
      return status && status.errors >= 2 ? status : undefined;
    });
    assert.match(failing.lastError!, /ERROR_CORE: the queue is away/);
    s.emulator.offline.fault = undefined;
    await eventually(() => seen.length === 5);
    assert.ok((await s.app.offline.status(memberId))[0]?.lastReconciledAt);
  });
});
