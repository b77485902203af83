/**
 * The emulator's offline queue answers as docs/protocol.md#8-offline-events describes (shapes from
 * api-reference/events/event-offline-get.md and the PHP SDK's OfflineEventItemResult): merging by object,
 * reservation under a process_id, clear and error marks, list, the plan's WRONG_LICENSE, source keys, and
 * ONOFFLINEEVENT at most once per minTimeout.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { decodeBody } from '../../src/protocol/index.js';
import { Emulator } from '../../src/emulator/portal.js';
import { eventually } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { serveEmulator } from '../../src/emulator/http.js';

type Body = { result?: Record<string, unknown> & { process_id?: string | null; events?: Record<string, unknown>[] } };

async function portalWithQueue(options: ConstructorParameters<typeof Emulator>[0] = {}) {
  const emulator = new Emulator({ rateLimit: false, ...options });
  const { portal } = await emulator.install('http://127.0.0.1:9/bitrix24/install');
  const token = emulator.issueTokens(portal).access_token;
  const rest = (method: string, params: Record<string, unknown> = {}) => {
    const answer = emulator.rest(method, { auth: token, ...params });
    return { status: answer.status, body: answer.body as Body & { error?: string; total?: number } };
  };
  return { emulator, portal, rest };
}

describe('the emulator keeps an offline queue', () => {
  it('merges changes of one object, reserves a batch, marks errors and clears it', async () => {
    const { emulator, portal, rest } = await portalWithQueue();
    assert.equal(rest('event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' }).status, 200);
    assert.equal(rest('event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' }).body.error, 'ERROR_CORE');
    for (const id of ['1', '2', '1', '1', '3'])
      await emulator.trigger(portal.memberId, 'ONCRMDEALUPDATE', { set: [`data.FIELDS.ID=${id}`] });

    const reserved = rest('event.offline.get', { clear: '0', limit: '2' }).body.result!;
    assert.match(reserved.process_id!, /^[0-9a-f]{32}$/);
    assert.equal(reserved.events!.length, 2);
    const record = reserved.events![0]!;
    assert.deepEqual(Object.keys(record), [
      'ID',
      'TIMESTAMP_X',
      'EVENT_NAME',
      'EVENT_DATA',
      'EVENT_ADDITIONAL',
      'MESSAGE_ID',
    ]);
    assert.match(String(record.TIMESTAMP_X), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.deepEqual(record.EVENT_DATA, { FIELDS: { ID: '1' } });
    assert.deepEqual(record.EVENT_ADDITIONAL, { user_id: '1' });
    assert.match(String(record.MESSAGE_ID), /^[0-9a-f]{32}$/);

    // Three deals, three records: deal 1's three changes were merged. A change during the reservation is a new record.
    await emulator.trigger(portal.memberId, 'ONCRMDEALUPDATE', { set: ['data.FIELDS.ID=1'] });
    const listed = rest('event.offline.list', { order: { ID: 'ASC' } }).body;
    assert.equal(listed.total, 4);
    const rows = listed.result as unknown as { PROCESS_ID: string; ERROR: string }[];
    assert.deepEqual(
      rows.map((r) => [r.PROCESS_ID !== '', r.ERROR]),
      [
        [true, '0'],
        [true, '0'],
        [false, '0'],
        [false, '0'],
      ],
    );
    // The same process_id reads the same batch again; a parallel read gets other records.
    assert.deepEqual(
      rest('event.offline.get', { clear: '0', process_id: reserved.process_id }).body.result!.events,
      reserved.events,
    );
    const other = rest('event.offline.get', { clear: '0' }).body.result!;
    assert.notEqual(other.process_id, reserved.process_id);
    assert.ok(other.events!.every((e) => !reserved.events!.some((r) => r.ID === e.ID)));

    assert.equal(
      rest('event.offline.error', { process_id: reserved.process_id, message_id: [record.MESSAGE_ID] }).body.result,
      true,
    );
    assert.equal(rest('event.offline.clear', { process_id: reserved.process_id }).body.result, true);
    const left = emulator.offline.records(portal.memberId, null);
    assert.deepEqual(left.map((r) => [r.error, r.processId === other.process_id]).sort(), [
      [false, true],
      [false, true],
      [true, false],
    ]);
    assert.equal(
      rest('event.offline.get', { error: '1' }).body.result!.events!.length,
      1,
      'error=1 reads the marked one',
    );
  });

  it('refuses what the plan lacks and keeps each source key a queue of its own', async () => {
    const { emulator, portal, rest } = await portalWithQueue();
    rest('event.bind', { event: 'ONCRMDEALADD', event_type: 'offline', auth_connector: 'mine' });
    await emulator.trigger(portal.memberId, 'ONCRMDEALADD', { authConnector: 'mine' });
    assert.equal(emulator.offline.records(portal.memberId, 'mine').length, 0, "the app's own write is not queued back");
    await emulator.trigger(portal.memberId, 'ONCRMDEALADD');
    assert.equal(
      rest('event.offline.get', { clear: '0' }).body.result!.events!.length,
      0,
      'no source key: another queue',
    );
    assert.equal(rest('event.offline.get', { clear: '0', auth_connector: 'mine' }).body.result!.events!.length, 1);

    emulator.offline.extended = false;
    const refused = rest('event.offline.get', { clear: '0', auth_connector: 'mine' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'WRONG_LICENSE');
    assert.equal(rest('feature.get', { CODE: 'rest_offline_extended' }).body.result!.value, 'N');
    assert.equal(rest('event.offline.get', { filter: { '!ID': 1 } }).body.error, 'ERROR_ARGUMENT');
    const user = emulator.issueTokens(portal, 2).access_token;
    assert.equal(emulator.rest('event.offline.get', { auth: user }).status, 403, 'administrators only');
  });

  it('signals ONOFFLINEEVENT at most once per minTimeout', async () => {
    const signals: unknown[] = [];
    const sink = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        signals.push(decodeBody('form', text));
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    after(() => sink.close());
    const { emulator, portal, rest } = await portalWithQueue();
    const handler = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/bitrix24/events`;
    rest('event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' });
    rest('event.bind', { event: 'ONOFFLINEEVENT', handler, options: { minTimeout: '1' } });
    for (let id = 1; id <= 5; id++)
      await emulator.trigger(portal.memberId, 'ONCRMDEALUPDATE', { set: [`data.FIELDS.ID=${id}`] });
    // One at once, one when the second has passed (for the changes after the first): two, not five.
    await eventually(() => emulator.offline.stats.signals === 2 && signals.length === 2);
    assert.equal((signals[0] as { event: string }).event, 'ONOFFLINEEVENT');
  });

  it('loses online deliveries during an outage (b24-events emulator outage)', async () => {
    const emulator = new Emulator({ rateLimit: false });
    const running = await serveEmulator(emulator);
    after(() => running.close());
    const answer = await runCli(['emulator', 'outage', '--seconds', '30', '--url', running.url]);
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /Online deliveries are lost until/);
    assert.ok(emulator.offline.outageUntil > Date.now() + 20_000);
    assert.equal(emulator.offline.drops(), true);
    const back = await runCli(['emulator', 'outage', '--url', running.url]);
    assert.match(back.stdout, /flow again/);
    assert.equal(emulator.offline.drops(), false);
  });
});
