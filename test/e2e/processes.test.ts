/**
 * The emulator and the server as separate processes, driven only through their commands: install, bind, wait,
 * allow, resume; deny; a token refreshed before the decision; uninstall.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { eventually, tempDir } from '../helpers/app.js';
import { runCli, startProcess, type RunningProcess } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { voximplantUser } from '../../src/emulator/rest.js';

let emulator: RunningProcess;
let server: RunningProcess;
let env: Record<string, string>;
let memberId: string;
const secrets: string[] = [];

interface Call {
  id: number;
  state: string;
  result: unknown;
  tokenFingerprint: string;
}

async function json<T>(args: string[]): Promise<T> {
  const result = await runCli(args, env);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
const call = (id: number) => json<Call[]>(['calls', '--json']).then((calls) => calls.find((c) => c.id === id));
const parkedCall = async (userId: number) => {
  const outcome = await json<{ status: string; parkedCallId: number }>([
    'call',
    '--member-id',
    memberId,
    'voximplant.user.get',
    `USER_ID=${userId}`,
    '--park',
  ]);
  assert.equal(outcome.status, 'waiting');
  return outcome.parkedCallId;
};
const waitingRequest = async () =>
  (await eventually(async () => (await json<{ id: number }[]>(['emulator', 'requests', '--json']))[0]))!.id;

before(async () => {
  const [appPort, emulatorPort] = [await freePort(), await freePort()];
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  env = {
    DATABASE_URL: join(tempDir(), 'processes.sqlite'),
    B24_OAUTH_URL: emulatorUrl,
    B24_CLIENT_ID: 'local.b24events.emulator',
    B24_CLIENT_SECRET: 'emulator-client-secret',
    PUBLIC_URL: `http://127.0.0.1:${appPort}`,
    B24_EMULATOR_URL: emulatorUrl,
  };
  emulator = await startProcess(
    ['emulator', '--port', String(emulatorPort), '--east-port', '0', '--app-url', env.PUBLIC_URL!],
    env,
    /Bitrix24 emulator on/,
  );
  server = await startProcess(['serve', '--port', String(appPort)], env, /b24-events is serving/);
});
after(async () => {
  await server?.stop();
  await emulator?.stop();
});

describe('emulator and server as separate processes', () => {
  it('install: ONAPPINSTALL verified, installation stored, events bound', async () => {
    const installed = await runCli(['emulator', 'install', '--json'], env);
    assert.equal(installed.code, 0, installed.stderr);
    const answer = JSON.parse(installed.stdout) as { memberId: string; delivery: { status: number } };
    assert.equal(answer.delivery.status, 200);
    memberId = answer.memberId;
    const db = new SQLite(env.DATABASE_URL!, { readonly: true });
    const row = db.prepare('select application_token, access_token, refresh_token from installations').get() as Record<
      string,
      string
    >;
    db.close();
    secrets.push(row.application_token!, row.access_token!, row.refresh_token!);
    const [installation] = await json<{ memberId: string; status: string }[]>(['installations', '--json']);
    assert.deepEqual([installation?.memberId, installation?.status], [memberId, 'active']);
    const portal = await eventually(async () => {
      const [p] = await json<{ bindings: { event: string; handler: string }[] }[]>(['emulator', 'portals', '--json']);
      return p && p.bindings.length === 3 ? p : undefined;
    }, 15_000);
    assert.deepEqual(portal.bindings.map((b) => b.event).sort(), [
      'ONAPPMETHODCONFIRM',
      'ONAPPUNINSTALL',
      'ONAPPUPDATE',
    ]);
    assert.ok(portal.bindings.every((b) => b.handler === `${env.PUBLIC_URL}/bitrix24/events`));
  });

  it('wait, allow, resume', async () => {
    const id = await parkedCall(1);
    assert.equal((await call(id))?.state, 'waiting');
    const allowed = await runCli(['emulator', 'allow', String(await waitingRequest())], env);
    assert.match(allowed.stdout, /granted/);
    assert.match(allowed.stdout, /ONAPPMETHODCONFIRM -> .*: 200/);
    const done = await eventually(async () => ((await call(id))?.state === 'done' ? call(id) : undefined), 15_000);
    assert.deepEqual(done?.result, [{ ...voximplantUser(memberId, '1'), SIP_PASSWORD: '[redacted]' }]);
  });

  it('a token refreshed before the decision: re-issued, parked again under the new token, then resumed', async () => {
    // The current token was granted above; start from a fresh one, which must be confirmed again.
    await runCli(['emulator', 'expire-token', '--member-id', memberId], env);
    const id = await parkedCall(2);
    const before = (await call(id))!.tokenFingerprint;
    const expired = await runCli(['emulator', 'expire-token', '--member-id', memberId], env);
    assert.equal(expired.code, 0, expired.stderr);
    const info = await json<{ status: string }>(['call', '--member-id', memberId, 'app.info']);
    assert.equal(info.status, 'ok', 'the app refreshed its token');
    await runCli(['emulator', 'allow', String(await waitingRequest())], env);
    const rewaiting = await eventually(async () => {
      const c = await call(id);
      return c?.state === 'waiting' && c.tokenFingerprint !== before ? c : undefined;
    }, 15_000);
    assert.ok(rewaiting, 'the call waits again under the new token');
    await runCli(['emulator', 'allow', String(await waitingRequest())], env);
    await eventually(async () => (await call(id))?.state === 'done', 15_000);
  });

  it('deny: the parked call ends denied', async () => {
    await runCli(['emulator', 'expire-token', '--member-id', memberId], env);
    const id = await parkedCall(3);
    const denied = await runCli(['emulator', 'deny', String(await waitingRequest())], env);
    assert.match(denied.stdout, /denied/);
    await eventually(async () => (await call(id))?.state === 'denied', 15_000);
    const states = (await json<{ state: string }[]>(['permissions', '--json'])).map((p) => p.state);
    assert.ok(states.includes('denied'));
  });

  it('uninstall: the installation is marked uninstalled', async () => {
    const removed = await runCli(['emulator', 'uninstall', '--member-id', memberId], env);
    assert.match(removed.stdout, /ONAPPUNINSTALL -> .*: 200/);
    const [installation] = await json<{ status: string; hasTokens: boolean }[]>(['installations', '--json']);
    assert.equal(installation?.status, 'uninstalled');
    assert.equal(installation?.hasTokens, false);
    const refused = await runCli(['call', '--member-id', memberId, 'app.info'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /uninstalled/);
  });

  it('refuses bad arguments with a message that says which and why', async () => {
    const noPortal = await runCli(['emulator', 'uninstall', '--member-id', 'nobody'], env);
    assert.notEqual(noPortal.code, 0);
    assert.match(noPortal.stderr, /no portal with member_id nobody/);
    const badRequest = await runCli(['emulator', 'allow', 'first'], env);
    assert.notEqual(badRequest.code, 0);
    assert.match(badRequest.stderr, /"first" is not a request number/);
    const noEmulator = await runCli(['emulator', 'requests', '--url', 'http://127.0.0.1:9'], env);
    assert.notEqual(noEmulator.code, 0);
    assert.match(noEmulator.stderr, /no emulator answers/);
    const badRate = await runCli(['emulator', '--rate-limit', 'fast'], env);
    assert.notEqual(badRate.code, 0);
    assert.match(badRate.stderr, /--rate-limit must be/);
  });

  it('no secret reaches either process output', () => {
    assert.ok(secrets.length >= 3);
    for (const output of [server.output(), emulator.output()]) {
      for (const secret of secrets) assert.ok(!output.includes(secret), 'a token was printed');
    }
  });
});
