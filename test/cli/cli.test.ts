import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as bodies from '../fixtures/bodies.js';
import { FORM, tempDir } from '../helpers/app.js';
import { runCli, startServer, addSamplePortal } from '../helpers/cli.js';

const db = join(tempDir(), 'cli.sqlite');
const env = { DATABASE_URL: db };
let server: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  const added = await addSamplePortal([], env);
  assert.ok(!added.stdout.includes(bodies.APPLICATION_TOKEN));
  server = await startServer(['--db', db]);
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0);
});

const post = (body: string) =>
  fetch(`${server.url}/bitrix24/events`, { method: 'POST', headers: { 'content-type': FORM }, body });

describe('b24-events CLI', () => {
  it('serve receives events that the other commands then show', async () => {
    assert.equal((await post(bodies.decidedNow(bodies.methodConfirmGranted))).status, 200);
    assert.equal((await post(bodies.methodConfirmWrongToken)).status, 403);

    const permissions = await runCli(['permissions', '--json'], env);
    assert.equal(permissions.code, 0, permissions.stderr);
    const [permission] = JSON.parse(permissions.stdout) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(permission!).slice(0, 6), [
      'memberId',
      'method',
      'tokenFingerprint',
      'state',
      'languageId',
      'decidedAt',
    ]);
    assert.equal(permission!.state, 'granted');
    assert.equal(permission!.method, 'voximplant.user.get');

    const inbox = await runCli(['inbox', '--json', '--event', 'ONAPPMETHODCONFIRM', '--limit', '5'], env);
    assert.equal(inbox.code, 0, inbox.stderr);
    const [entry] = JSON.parse(inbox.stdout) as Record<string, unknown>[];
    for (const key of ['id', 'memberId', 'event', 'ts', 'receivedAt', 'status']) assert.ok(key in entry!, key);
    assert.equal(entry!.event, 'ONAPPMETHODCONFIRM');

    const installations = await runCli(['installations', '--json'], env);
    const [installation] = JSON.parse(installations.stdout) as Record<string, unknown>[];
    assert.equal(installation!.memberId, bodies.MEMBER_ID);
    assert.equal(installation!.domain, bodies.DOMAIN);
    assert.equal(installation!.status, 'active');

    for (const output of [permissions.stdout, inbox.stdout, installations.stdout, server.output()]) {
      assert.ok(!output.includes(bodies.APPLICATION_TOKEN), 'no application_token in any output');
      assert.ok(!output.includes(bodies.CONFIRM_TOKEN), 'no TOKEN in any output');
      assert.ok(!output.includes('00000000000000000000000000000000'), 'not even a wrong token');
    }
  });

  it('replays a stored event by id', async () => {
    const replay = await runCli(['inbox', 'replay', '1', '--db', db]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /Event 1 is queued again/);
    const missing = await runCli(['inbox', 'replay', '999'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /does not exist/);
  });

  it('prints aligned tables for people', async () => {
    const table = await runCli(['permissions', '--member-id', bodies.MEMBER_ID], env);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^MEMBER ID\s+METHOD\s+TOKEN\s+STATE/);
    assert.equal(lines[1]!.indexOf('voximplant.user.get'), lines[0]!.indexOf('METHOD'));
    const inbox = await runCli(['inbox', '--limit', '1'], env);
    assert.match(inbox.stdout, /^ID\s+MEMBER ID\s+EVENT/);
    const none = await runCli(['permissions', '--member-id', 'nobody'], env);
    assert.equal(none.stdout.trim(), 'No permissions recorded.');
  });

  it('explains bad arguments and exits non-zero', async () => {
    const badLimit = await runCli(['inbox', '--limit', 'lots'], env);
    assert.notEqual(badLimit.code, 0);
    assert.match(badLimit.stderr, /--limit must be a whole number/);
    const missing = await runCli(['installations', 'add', '--member-id', 'x'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--domain/);
    const badDomain = await runCli(
      ['installations', 'add', '--member-id', 'x', '--domain', 'https://x/', '--application-token', 't'],
      env,
    );
    assert.notEqual(badDomain.code, 0);
    assert.match(badDomain.stderr, /host name/);
  });

  it('documents every command with --help', async () => {
    for (const command of [['serve'], ['permissions'], ['inbox'], ['installations'], ['installations', 'add']]) {
      const help = await runCli([...command, '--help'], env);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--db/, command.join(' '));
    }
  });
});
