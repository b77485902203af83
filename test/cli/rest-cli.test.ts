import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { eventually, tempDir } from '../helpers/app.js';
import { runCli, startServer } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { voximplantUser } from '../../src/emulator/rest.js';

const emulator = new Emulator();
let running: RunningEmulator;
let server: Awaited<ReturnType<typeof startServer>>;
let env: Record<string, string>;
let memberId: string;
let publicUrl: string;

before(async () => {
  running = await serveEmulator(emulator);
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  env = {
    DATABASE_URL: join(tempDir(), 'rest-cli.sqlite'),
    B24_CLIENT_ID: EMULATOR_CLIENT_ID,
    B24_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
    B24_OAUTH_URL: running.url,
    PUBLIC_URL: publicUrl,
  };
  server = await startServer(['--port', String(port)], env);
  const { portal, delivery } = await emulator.install(`${publicUrl}/bitrix24/install`);
  assert.equal(delivery.status, 200);
  memberId = portal.memberId;
  await eventually(() => portal.bindings.length === 3);
});
after(async () => {
  await server?.stop();
  await running?.close();
});

const json = async (args: string[]) => {
  const result = await runCli(args, env);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown> & Record<string, unknown>[];
};

describe('b24-events call, calls and bind', () => {
  it('parks a call that waits, and shows it resumed by the server after the administrator allows it', async () => {
    const outcome = await json(['call', '--member-id', memberId, 'voximplant.user.get', 'USER_ID=7', '--park']);
    assert.equal(outcome.status, 'waiting');
    assert.equal(typeof outcome.parkedCallId, 'number');

    const waiting = (await json(['calls', '--json'])) as unknown as {
      id: number;
      state: string;
      method: string;
      memberId: string;
    }[];
    assert.deepEqual(
      waiting.map((c) => [c.id, c.state, c.method, c.memberId]),
      [[outcome.parkedCallId, 'waiting', 'voximplant.user.get', memberId]],
    );

    await emulator.decide(emulator.waiting()[0]!.id, true);
    const done = await eventually(async () => {
      const [call] = (await json(['calls', '--json', '--member-id', memberId])) as unknown as {
        state: string;
        result: unknown;
        finishedAt: string | null;
        createdAt: string;
      }[];
      return call?.state === 'done' ? call : undefined;
    }, 10_000);
    // SIP_PASSWORD is a secret: `calls` shows the result with it redacted.
    assert.deepEqual(done.result, [{ ...voximplantUser(memberId, '7'), SIP_PASSWORD: '[redacted]' }]);
    assert.ok(done.finishedAt && done.createdAt);

    const [permission] = (await json(['permissions', '--json'])) as unknown as { state: string; method: string }[];
    assert.equal(permission?.state, 'granted');
    const table = await runCli(['calls'], env);
    assert.match(table.stdout, /^ID\s+MEMBER ID\s+METHOD\s+STATE/);
    assert.match(table.stdout, /done/);
  });

  it('prints an ok outcome with the result', async () => {
    const outcome = await json(['call', '--member-id', memberId, 'app.info']);
    assert.equal(outcome.status, 'ok');
    assert.equal((outcome.result as { INSTALLED: boolean }).INSTALLED, true);
  });

  it('binds by hand, treating "already bound" as success', async () => {
    const result = await runCli(['bind', '--member-id', memberId], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(/already_bound/g)?.length, 3);
    assert.match(result.stdout, new RegExp(`${publicUrl}/bitrix24/events`));
  });

  it('explains errors without secrets and exits non-zero', async () => {
    const unknown = await runCli(['call', '--member-id', memberId, 'no.such.method'], env);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /ERROR_METHOD_NOT_FOUND/);
    const badParam = await runCli(['call', '--member-id', memberId, 'app.info', 'oops'], env);
    assert.notEqual(badParam.code, 0);
    assert.match(badParam.stderr, /"oops" is not KEY=VALUE/);
    const noUrl = await runCli(['bind', '--member-id', memberId], { ...env, PUBLIC_URL: '' });
    assert.notEqual(noUrl.code, 0);
  });

  it('never prints a token', async () => {
    const portal = emulator.portal(memberId);
    const outputs = [
      server.output(),
      (await runCli(['calls', '--json'], env)).stdout,
      (await runCli(['permissions'], env)).stdout,
    ];
    const accessToken = emulator.confirmations[0]!.token;
    for (const output of outputs) {
      assert.ok(!output.includes(portal.applicationToken));
      assert.ok(!output.includes(accessToken));
    }
  });
});
