import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyKindOf, decodeForm, decodeJson, ForbiddenKeyError, MalformedBodyError } from '../../src/protocol/index.js';
import { appTest, methodConfirmGranted } from '../fixtures/bodies.js';

describe('decoding bodies as Bitrix24 sends them', () => {
  it('reads the granted example of docs/protocol.md (5.5) into nested objects of strings', () => {
    const payload = decodeForm(methodConfirmGranted);
    assert.deepEqual(JSON.parse(JSON.stringify(payload)), {
      event: 'ONAPPMETHODCONFIRM',
      event_handler_id: '27',
      data: {
        TOKEN: 'fkp963yuv1ggkfbs5z3f5hy8lilm0iw6',
        METHOD: 'voximplant.user.get',
        CONFIRMED: '1',
        LANGUAGE_ID: 'en',
      },
      ts: '1478790852',
      auth: {
        domain: 'portal.bitrix24.com',
        client_endpoint: 'https://portal.bitrix24.com/rest/',
        server_endpoint: 'https://oauth.bitrix.info/rest/',
        member_id: '74ef8a46a75104de55d5d4a61b98ab6d',
        application_token: 'c289487163b58658eae5e8b42eaf11b8',
      },
    });
  });

  it('reads + as a space and x[0] lists as arrays', () => {
    const payload = decodeForm(appTest) as { data: { QUERY: { text: string; list: string[] } } };
    assert.equal(payload.data.QUERY.text, 'hello world, 1:2');
    assert.deepEqual(payload.data.QUERY.list, ['a/b', 'c d']);
  });

  it('keeps numeric keys that are not a 0..n-1 list as keys, as PHP does', () => {
    const payload = JSON.parse(
      JSON.stringify(decodeForm('cmd%5B50%5D=a&cmd%5B51%5D=b&ids%5B%5D=1&ids%5B%5D=2&one%5B5%5D=x')),
    );
    assert.deepEqual(payload, { cmd: { '50': 'a', '51': 'b' }, ids: ['1', '2'], one: { '5': 'x' } });
  });

  it('keeps the last value of a repeated key, as PHP does', () => {
    assert.deepEqual({ ...decodeForm('a=1&a=2') }, { a: '2' });
  });

  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses a form key naming ${key} at any depth`, () => {
      assert.throws(() => decodeForm(`event=X&data%5B${key}%5D%5BisAdmin%5D=1`), ForbiddenKeyError);
      assert.throws(() => decodeForm(`${key}%5Bx%5D=1`), ForbiddenKeyError);
      assert.throws(() => decodeForm(`a%5Bb%5D%5Bc%5D%5B${key}%5D=1`), ForbiddenKeyError);
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    });

    it(`refuses a JSON key naming ${key} at any depth`, () => {
      assert.throws(() => decodeJson(`{"event":"X","data":{"${key}":{"isAdmin":"1"}}}`), ForbiddenKeyError);
    });
  }

  it('refuses broken percent-encoding as malformed', () => {
    assert.throws(() => decodeForm('event=ONAPPTEST&data%5BX%5D=%E0%A4%A'), MalformedBodyError);
    assert.throws(() => decodeForm('event%ZZ=1'), MalformedBodyError);
  });

  it('refuses a body past the decoder limits', () => {
    const deep = `a${'%5Bx%5D'.repeat(20)}=1`;
    assert.throws(() => decodeForm(deep), MalformedBodyError);
    const many = Array.from({ length: 3000 }, (_, i) => `k${i}=v`).join('&');
    assert.throws(() => decodeForm(many), MalformedBodyError);
  });

  it('brings JSON to the form shape: strings, no nulls', () => {
    assert.deepEqual(
      JSON.parse(JSON.stringify(decodeJson('{"ts":1478790852,"data":{"A":true,"B":null,"C":[1,false]}}'))),
      {
        ts: '1478790852',
        data: { A: '1', C: ['1', '0'] },
      },
    );
  });

  it('refuses JSON that does not parse or is not an object', () => {
    assert.throws(() => decodeJson('{"event":'), MalformedBodyError);
    assert.throws(() => decodeJson('[1,2]'), MalformedBodyError);
  });

  it('accepts form and JSON content types only', () => {
    assert.equal(bodyKindOf('application/x-www-form-urlencoded; charset=UTF-8'), 'form');
    assert.equal(bodyKindOf('Application/JSON'), 'json');
    assert.equal(bodyKindOf('text/plain'), undefined);
    assert.equal(bodyKindOf(undefined), undefined);
  });
});
