import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeForm, parseRawEvent } from '../../src/protocol/index.js';
import { runCli } from '../helpers/cli.js';

const received: { body: string; contentType: string | undefined }[] = [];
let url: string;
const server = createServer(async (req: IncomingMessage, res) => {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  received.push({ body, contentType: req.headers['content-type'] });
  res.writeHead(received.length === 2 ? 403 : 200, { 'content-type': 'application/json' }).end('{"ok":true}');
});
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bitrix24/events`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('b24-events send', () => {
  it('POSTs a complete, valid event form-encoded like Bitrix24, with the overrides given', async () => {
    const result = await runCli([
      'send',
      'ONAPPMETHODCONFIRM',
      '--url',
      url,
      '--member-id',
      'm1',
      '--application-token',
      'tok',
      '--set',
      'data.CONFIRMED=0',
      '--set',
      'data.METHOD=crm.deal.add',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^200 OK/);
    const [sent] = received;
    assert.equal(sent?.contentType, 'application/x-www-form-urlencoded');
    assert.match(
      sent!.body,
      /^event=ONAPPMETHODCONFIRM&event_handler_id=1&data%5BTOKEN%5D=[0-9a-f]{32}&data%5BMETHOD%5D=crm.deal.add&data%5BCONFIRMED%5D=0/,
    );
    const event = parseRawEvent(decodeForm(sent!.body));
    assert.equal(event.auth.member_id, 'm1');
    assert.equal(event.auth.application_token, 'tok');
  });

  it('prints the status and answer as JSON, and exits 1 on a refusal, saying nothing more', async () => {
    const result = await runCli(['send', 'ONAPPUNINSTALL', '--url', url, '--json']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '');
    assert.deepEqual(JSON.parse(result.stdout), { status: 403, body: { ok: true } });
  });

  it('builds every catalogue event so that it validates', async () => {
    for (const name of [
      'ONAPPINSTALL',
      'ONAPPUPDATE',
      'ONAPPUNINSTALL',
      'ONAPPPAYMENT',
      'ONAPPTEST',
      'ONAPPMETHODCONFIRM',
      'ONCRMDEALADD',
    ]) {
      const result = await runCli(['send', name, '--print']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(parseRawEvent(decodeForm(result.stdout.trim())).event, name);
    }
  });

  it('refuses bad arguments, saying which and why', async () => {
    const cases: [string[], RegExp][] = [
      [['send', 'APPINSTALL', '--print'], /not a Bitrix24 event name/],
      [['send', 'ONAPPTEST', '--print', '--set', 'nonsense'], /is not PATH=VALUE/],
      [['send', 'ONAPPTEST', '--print', '--set', 'event=X'], /must start with data\., auth\., ts/],
      [['send', 'ONAPPTEST', '--print', '--set', 'token=s3cr3t-value'], /^b24-events: --set token=…: the path must/],
      [['send', 'ONAPPTEST', '--print', '--set', 'data.__proto__.x=1'], /not a usable path/],
      [['send', 'ONAPPTEST'], /--url is required/],
      [['send', 'ONAPPTEST', '--url', 'ftp://x'], /not an http\(s\) URL/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /s3cr3t/, 'an error quotes the value of a --set');
    }
  });
});
