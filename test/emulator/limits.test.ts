/**
 * The emulator's method time limit on a clock the test moves (docs/protocol.md#77-limits): each run costs its method
 * time, answers carry `operating` and `operating_reset_at`, the method answers OPERATION_TIME_LIMIT once its time in
 * the ten-basket window reaches the limit, other methods go on, and it is callable again when its baskets drop out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emulator } from '../../src/emulator/portal.js';

interface Answer {
  status: number;
  body: {
    error?: string;
    time?: { operating: number; operating_reset_at: number };
    result?: { result_error: Record<string, { error: string }>; result_time: Record<string, { operating: number }> };
  };
}

function portalOnClock(options: ConstructorParameters<typeof Emulator>[0] = {}) {
  const clock = { now: Date.parse('2026-03-01T10:00:30Z') };
  const emulator = new Emulator({ rateLimit: false, ...options, now: () => clock.now });
  const portal = emulator.installWithUi('http://127.0.0.1:9/bitrix24/install');
  emulator.finishInstall(portal.memberId);
  const auth = emulator.issueTokens(portal).access_token;
  const rest = (method: string, params: Record<string, unknown> = {}) =>
    emulator.rest(method, { ...params, auth }) as Answer;
  return { clock, rest, portal };
}

describe('emulator: method time limit', () => {
  it('blocks a method once its time in the window reaches the limit, until its oldest basket drops out', () => {
    const { clock, rest } = portalOnClock({ methodTime: { 'app.info': 100 } });
    const times = [];
    for (let i = 0; i < 5; i++) {
      const answer = rest('app.info');
      assert.equal(answer.status, 200);
      times.push(answer.body.time!);
    }
    assert.deepEqual(
      times.map((t) => t.operating),
      [100, 200, 300, 400, 500],
    );
    const resetAt = Date.parse('2026-03-01T10:10:00Z') / 1000;
    assert.ok(
      times.every((t) => t.operating_reset_at === resetAt),
      'when the 10:00 basket drops out',
    );
    assert.deepEqual([rest('app.info').status, rest('app.info').body.error], [429, 'OPERATION_TIME_LIMIT']);
    assert.equal(rest('profile').status, 200, 'other methods go on');

    const batch = rest('batch', { cmd: { a: 'app.info', p: 'profile' } });
    assert.equal(batch.body.result?.result_error.a?.error, 'OPERATION_TIME_LIMIT', 'answered per command');
    assert.equal(batch.body.result?.result_time.a?.operating, 500, "a refused command's time tells why");

    clock.now = resetAt * 1000 - 1;
    assert.equal(rest('app.info').status, 429, 'not a moment before');
    clock.now = resetAt * 1000;
    const again = rest('app.info');
    assert.equal(again.status, 200);
    assert.equal(again.body.time?.operating, 100, 'the old basket dropped out');
  });

  it('plays a block of a given length on command, its end in operating_reset_at', () => {
    const { clock, rest, portal } = portalOnClock({ basketSeconds: 1 });
    const until = portal.limits.block('crm.deal.list', 3);
    assert.equal(until.getTime(), Date.parse('2026-03-01T10:00:33Z'), 'the basket that drops out 3 s later');
    const answer = rest('batch', { cmd: { d: 'crm.deal.list' } });
    assert.equal(answer.body.result?.result_error.d?.error, 'OPERATION_TIME_LIMIT');
    clock.now = until.getTime();
    assert.equal(
      rest('batch', { cmd: { d: 'crm.deal.list' } }).body.result?.result_error.d?.error,
      'ERROR_METHOD_NOT_FOUND',
    );
  });
});
