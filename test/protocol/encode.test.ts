import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeForm, httpBuildQuery } from '../../src/protocol/index.js';
import { appTest, methodConfirmGranted } from '../fixtures/bodies.js';

describe('encoding like PHP http_build_query', () => {
  it('reproduces the granted example of docs/protocol.md (5.5) byte for byte', () => {
    assert.equal(httpBuildQuery(decodeForm(methodConfirmGranted)), methodConfirmGranted);
  });

  it('reproduces nested lists, spaces, commas and colons', () => {
    assert.equal(httpBuildQuery(decodeForm(appTest)), appTest);
  });

  it('drops nulls and empty arrays, writes booleans as 1 and 0', () => {
    assert.equal(httpBuildQuery({ a: null, b: [], c: true, d: false, e: { f: undefined } }), 'c=1&d=0');
  });

  it("percent-encodes what PHP's urlencode does", () => {
    assert.equal(httpBuildQuery({ q: "a~b*c'd(e)!-_." }), 'q=a%7Eb%2Ac%27d%28e%29%21-_.');
  });
});
