import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { redact, redactText } from '../../src/protocol/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ destination }), lines };
}

describe('secrets never reach a log line', () => {
  it('redacts every secret key at any of the first depths', () => {
    const { log, lines } = capture();
    log.info(
      {
        application_token: 'S1',
        auth: { access_token: 'S2', refresh_token: 'S3', member_id: 'visible' },
        event: { data: { TOKEN: 'S4' }, nested: { deeper: { clientSecret: 'S5' } } },
        headers: { authorization: 'Bearer S6' },
      },
      'event',
    );
    const line = lines.join('');
    for (const secret of ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'])
      assert.ok(!line.includes(`"${secret}`), `${secret} leaked: ${line}`);
    assert.match(line, /visible/);
    assert.match(line, /\[redacted\]/);
  });

  it('writes JSON lines', () => {
    const { log, lines } = capture();
    log.warn({ memberId: 'm' }, 'refused');
    const parsed = JSON.parse(lines[0]!) as { level: number; msg: string; memberId: string };
    assert.equal(parsed.msg, 'refused');
    assert.equal(parsed.level, 40);
  });

  it('redacts objects and free text for errors, pages and the CLI', () => {
    assert.deepEqual(redact({ auth: { member_id: 'm', application_token: 'x' }, list: [{ refresh_token: 'y' }] }), {
      auth: { member_id: 'm', application_token: '[redacted]' },
      list: [{ refresh_token: '[redacted]' }],
    });
    assert.equal(
      redactText('token abcdef leaked twice: abcdef', ['abcdef', null, undefined]),
      'token [redacted] leaked twice: [redacted]',
    );
  });
});
