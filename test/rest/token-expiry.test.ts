import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenExpiry } from '../../src/rest/oauth.js';

describe('token expiry from an OAuth answer', () => {
  const now = new Date('2026-11-28T12:00:00.000Z');
  it('reads expires, else now + expires_in', () => {
    assert.equal(tokenExpiry({ expires: 1795000000 }, now), new Date(1795000000 * 1000).toISOString());
    assert.equal(tokenExpiry({ expires_in: 60 }, now), '2026-11-28T12:01:00.000Z');
  });
  it('an absurd expires counts as an hour instead of throwing RangeError', () => {
    assert.equal(tokenExpiry({ expires: '99999999999999999' }, now), '2026-11-28T13:00:00.000Z');
    assert.equal(tokenExpiry({ expires: 'soon' }, now), '2026-11-28T13:00:00.000Z');
  });
});
