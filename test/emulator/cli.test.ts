/** `b24-events emulator ...` as a user runs it: the emulator as its own process, the admin commands against it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpBuildQuery } from '../../src/protocol/index.js';
import { runCli, startProcess, type RunningProcess } from '../helpers/cli.js';
import { installPage, startReceiver, type Receiver } from '../helpers/receiver.js';

let receiver: Receiver;
let emulator: RunningProcess;
let env: Record<string, string>;
let eastUrl: string;

before(async () => {
  receiver = await startReceiver();
  const started = await startProcess(
    ['emulator', '--port', '0', '--app-url', receiver.url, '--refresh-token-ttl', '30'],
    {},
    /Bitrix24 emulator on (http:\/\/\S+) [\s\S]*East region OAuth server on (http:\/\/\S+)/,
  );
  env = { B24_EMULATOR_URL: started.match[1]! };
  eastUrl = started.match[2]!;
  emulator = started;
});
after(async () => {
  await emulator?.stop();
  await receiver?.close();
});

const cli = async (args: string[]) => {
  const result = await runCli(['emulator', ...args], env);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
};
const lastAuth = (path: string) => receiver.at(path).at(-1)!.form.auth as Record<string, string>;

describe('b24-events emulator commands', () => {
  it('install --ui posts the frame form and reports that the page finished the installation', async () => {
    receiver.answer('/bitrix24/install', { type: 'text/html', body: installPage('https://api.bitrix24.com/api/v1/') });
    const out = await cli(['install', '--ui']);
    assert.match(out, /loads the BX24 library/);
    assert.match(out, /calls BX24\.installFinish\(\)/);
    assert.match(out, /installation finished: events flow now/);
    receiver.answer('/bitrix24/install', { type: 'text/html', body: '<p>no script</p>' });
    const unfinished = await cli(['install', '--ui']);
    assert.match(unfinished, /does NOT load the BX24 library[\s\S]*does NOT call[\s\S]*NOT finished/);
    const fields = receiver.at('/bitrix24/install').at(-1)!.form;
    for (const secret of [fields.AUTH_ID, fields.REFRESH_ID, fields.APPLICATION_TOKEN])
      assert.ok(!unfinished.includes(String(secret)), 'no token in the output');
  });

  it('install, trigger with --set, update: ONAPPINSTALL twice with one application_token', async () => {
    receiver.answer('/bitrix24/install', { body: '{}' });
    const installed = JSON.parse(await cli(['install', '--json'])) as {
      memberId: string;
      delivery: { status: number; eventHandlerId: number };
    };
    assert.equal(installed.delivery.status, 200);
    const auth = lastAuth('/bitrix24/install');
    await fetch(`${env.B24_EMULATOR_URL}/rest/event.bind`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: httpBuildQuery({ auth: auth.access_token!, event: 'ONCRMDEALUPDATE', handler: `${receiver.url}/deals` }),
    });
    const triggered = await cli([
      'trigger',
      'ONCRMDEALUPDATE',
      '--member-id',
      installed.memberId,
      '--set',
      'data.FIELDS.ID=5',
      '--user-id',
      '3',
    ]);
    assert.match(triggered, /ONCRMDEALUPDATE -> .*\/deals: 200 \(event_handler_id \d+\)/);
    const deal = receiver.at('/deals').at(-1)!.form as {
      data: { FIELDS: { ID: string } };
      auth: Record<string, string>;
    };
    assert.deepEqual([deal.data.FIELDS.ID, deal.auth.user_id], ['5', '3']);
    assert.match(
      await cli(['update', '--member-id', installed.memberId]),
      /Updated to version 2\.\n {2}ONAPPINSTALL -> .*\/bitrix24\/install: 200/,
    );
    assert.equal(lastAuth('/bitrix24/install').application_token, auth.application_token);
    assert.match(
      await cli(['update', '--member-id', installed.memberId, '--legacy']),
      /Updated to version 3\.\n {2}\(no handler bound/,
    );
  });

  it('install --region east gives the portal the east OAuth server', async () => {
    await cli(['install', '--region', 'east']);
    assert.equal(lastAuth('/bitrix24/install').server_endpoint, `${eastUrl}/rest/`);
    const bad = await runCli(['emulator', 'install', '--region', 'north'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /region must be west or east/);
  });

  it("rate-limit, overload, block-method and stats act on a portal's limits like Bitrix24's", async () => {
    receiver.answer('/bitrix24/install', { body: '{}' });
    const { memberId } = JSON.parse(await cli(['install', '--json'])) as { memberId: string };
    const token = lastAuth('/bitrix24/install').access_token!;
    const rest = async (method: string) => {
      const response = await fetch(`${env.B24_EMULATOR_URL}/rest/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: httpBuildQuery({ auth: token }),
      });
      return [response.status, ((await response.json()) as { error?: string }).error ?? 'ok'];
    };
    assert.match(await cli(['rate-limit', '--member-id', memberId, '5/250']), /rate 5\/250 .*requests 0/);
    assert.deepEqual(await rest('app.info'), [200, 'ok']);

    assert.match(await cli(['overload', '--member-id', memberId]), /OVERLOADED/);
    assert.deepEqual(await rest('app.info'), [503, 'OVERLOAD_LIMIT']);
    await cli(['overload', '--member-id', memberId, '--off']);
    assert.deepEqual(await rest('app.info'), [200, 'ok']);

    assert.match(
      await cli(['block-method', '--member-id', memberId, 'app.info', '--seconds', '60']),
      /app\.info is blocked until \d{4}-/,
    );
    assert.deepEqual(await rest('app.info'), [429, 'OPERATION_TIME_LIMIT']);
    assert.deepEqual(await rest('profile'), [200, 'ok'], 'other methods go on');

    const stats = (JSON.parse(await cli(['stats', '--json'])) as Record<string, unknown>[]).find(
      (p) => p.memberId === memberId,
    );
    assert.deepEqual(
      [stats?.rateLimit, stats?.requests, stats?.overloadLimit, stats?.operationTimeLimit, stats?.queryLimitExceeded],
      ['5/250', 5, 1, 1, 0],
    );
    const bad = await runCli(['emulator', 'rate-limit', '--member-id', memberId, 'fast'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /rateLimit must be PER_SECOND\/BURST/);
  });

  // Last: it moves the emulator's clock for good.
  it('refresh tokens expire after --refresh-token-ttl days (advance-clock); revoke-token --refresh-only leaves access tokens working', async () => {
    receiver.answer('/bitrix24/install', { body: '{}' });
    const installed = JSON.parse(await cli(['install', '--json'])) as { memberId: string };
    const refresh = async (token: string | undefined) => {
      const query = new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'local.b24events.emulator',
        client_secret: 'emulator-client-secret',
        refresh_token: String(token),
      });
      const response = await fetch(`${env.B24_EMULATOR_URL}/oauth/token/?${query}`);
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    const first = await refresh(lastAuth('/bitrix24/install').refresh_token);
    assert.equal(first.status, 200);
    assert.match(await cli(['advance-clock', '--days', '29']), /The portal's clock now says \d{4}-/);
    const second = await refresh(first.body.refresh_token);
    assert.equal(second.status, 200, '29 days old: still alive');
    await cli(['advance-clock', '--days', '31']);
    assert.deepEqual(await refresh(second.body.refresh_token), { status: 400, body: { error: 'invalid_grant' } });

    const other = JSON.parse(await cli(['install', '--json'])) as { memberId: string };
    const auth = lastAuth('/bitrix24/install');
    assert.match(
      await cli(['revoke-token', '--member-id', other.memberId, '--refresh-only']),
      /Refresh tokens revoked/,
    );
    const info = await fetch(`${env.B24_EMULATOR_URL}/rest/app.info?auth=${auth.access_token}`);
    assert.equal(info.status, 200, 'the access token still works');
    assert.deepEqual(await refresh(auth.refresh_token), { status: 400, body: { error: 'invalid_grant' } });
    const portals = JSON.parse(await cli(['portals', '--json'])) as {
      memberId: string;
      refreshes: { ok: number; invalidGrant: number };
    }[];
    const refreshes = (m: string) => portals.find((p) => p.memberId === m)?.refreshes;
    assert.deepEqual(refreshes(installed.memberId), { ok: 2, invalidGrant: 1 });
    assert.deepEqual(refreshes(other.memberId), { ok: 0, invalidGrant: 1 });
  });
});
