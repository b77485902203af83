import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeForm,
  InvalidEventError,
  normaliseEvent,
  parseRawEvent,
  scrubPayload,
  sha256Hex,
  type B24Event,
} from '../../src/protocol/index.js';
import * as bodies from '../fixtures/bodies.js';

const view = <N extends string>(body: string) =>
  normaliseEvent(scrubPayload(parseRawEvent(decodeForm(body)))) as B24Event<N>;

describe('event catalogue', () => {
  it('normalises ONAPPMETHODCONFIRM: boolean, Date, lower-case method, token only as its sha256', () => {
    const event = view<'ONAPPMETHODCONFIRM'>(bodies.methodConfirmGranted);
    assert.equal(event.event, 'ONAPPMETHODCONFIRM');
    assert.equal(event.handlerId, '27');
    assert.deepEqual(event.ts, new Date(1478790852 * 1000));
    assert.deepEqual(event.data, {
      tokenHash: sha256Hex(bodies.CONFIRM_TOKEN),
      method: 'voximplant.user.get',
      confirmed: true,
      languageId: 'en',
    });
    assert.equal(event.auth.memberId, bodies.MEMBER_ID);
    assert.ok(!JSON.stringify(event).includes(bodies.CONFIRM_TOKEN));
    assert.ok(!JSON.stringify(event).includes(bodies.APPLICATION_TOKEN));
  });

  it('lower-cases a METHOD sent in another case', () => {
    const event = view<'ONAPPMETHODCONFIRM'>(
      bodies.methodConfirmGranted.replace('voximplant.user.get', 'VoxImplant.User.Get'),
    );
    assert.equal(event.data.method, 'voximplant.user.get');
  });

  it('normalises the lifecycle events', () => {
    const installEvent = view<'ONAPPINSTALL'>(bodies.install('r1'));
    assert.deepEqual(installEvent.data, { version: '1', active: true, installed: true, languageId: 'en' });
    assert.deepEqual(installEvent.auth.scope, ['crm', 'user', 'telephony']);
    assert.deepEqual(view<'ONAPPUPDATE'>(bodies.update('r1')).data, {
      version: '2',
      previousVersion: '1',
      languageId: 'en',
    });
    assert.deepEqual(view<'ONAPPUNINSTALL'>(bodies.uninstall).data, { clean: true, languageId: 'en' });
    assert.deepEqual(view<'ONAPPPAYMENT'>(bodies.payment).data, {
      code: 'vendor.app',
      version: '2',
      status: 'P',
      paymentExpired: false,
      days: 30,
      languageId: 'en',
    });
    assert.deepEqual(view<'ONAPPTEST'>(bodies.appTest).data, {
      query: { text: 'hello world, 1:2', list: ['a/b', 'c d'] },
      languageId: 'en',
    });
  });

  it('takes any other event with its data as sent, reads server_andpoint, keeps unknown keys', () => {
    const raw = parseRawEvent(decodeForm(bodies.dealAdd)) as Record<string, unknown> & {
      auth: { server_endpoint: string };
    };
    assert.equal(raw.extra, 'kept');
    assert.equal(raw.auth.server_endpoint, 'https://oauth.bitrix.info/rest/');
    const event = view<'ONCRMDEALADD'>(bodies.dealAdd);
    assert.deepEqual(JSON.parse(JSON.stringify(event.data)), { FIELDS: { ID: '42' } });
    assert.equal(event.auth.serverEndpoint, 'https://oauth.bitrix.info/rest/');
  });

  it('accepts an event without event_handler_id (older portals)', () => {
    const event = view<'ONAPPMETHODCONFIRM'>(bodies.methodConfirmGranted.replace('event_handler_id=27&', ''));
    assert.equal(event.handlerId, undefined);
  });

  it('names every missing or invalid field of ONAPPMETHODCONFIRM at once', () => {
    const body =
      'event=ONAPPMETHODCONFIRM&data%5BCONFIRMED%5D=yes&ts=soon&auth%5Bdomain%5D=portal.bitrix24.com&auth%5Bclient_endpoint%5D=not-a-url';
    const error = (() => {
      try {
        parseRawEvent(decodeForm(body));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof InvalidEventError);
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    assert.deepEqual(byPath, {
      'data.TOKEN': 'required',
      'data.METHOD': 'required',
      'data.CONFIRMED': 'expected "0" or "1"',
      'data.LANGUAGE_ID': 'required',
      ts: 'expected digits',
      'auth.client_endpoint': 'expected an http(s) URL',
      'auth.server_endpoint': 'required',
      'auth.member_id': 'required',
      'auth.application_token': 'required',
    });
  });

  it('requires the envelope of any event', () => {
    assert.throws(
      () => parseRawEvent(decodeForm('ts=1')),
      (e: InvalidEventError) => e.issues[0]?.path === 'event',
    );
    assert.throws(
      () => parseRawEvent(decodeForm('event=ONCRMDEALADD&ts=1')),
      (e: InvalidEventError) => e.issues.some((i) => i.path === 'auth' && i.message === 'required'),
    );
  });
});
