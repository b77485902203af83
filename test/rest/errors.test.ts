import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AccessDenied,
  ExpiredToken,
  InsufficientScope,
  InvalidToken,
  MethodConfirmDenied,
  MethodConfirmWaiting,
  MethodNotFound,
  OperationTimeLimit,
  Overloaded,
  QueryLimitExceeded,
  RestError,
} from '../../src/index.js';
import { isAlreadyBound, isTransient, restErrorFrom } from '../../src/rest/errors.js';
import { LeakyBucket } from '../../src/protocol/index.js';

describe('REST error taxonomy', () => {
  const cases: [string, number, new (...args: never[]) => RestError][] = [
    ['METHOD_CONFIRM_WAITING', 401, MethodConfirmWaiting],
    ['METHOD_CONFIRM_DENIED', 403, MethodConfirmDenied],
    ['expired_token', 401, ExpiredToken],
    ['NO_AUTH_FOUND', 401, InvalidToken],
    ['invalid_token', 401, InvalidToken],
    ['QUERY_LIMIT_EXCEEDED', 503, QueryLimitExceeded],
    ['OPERATION_TIME_LIMIT', 429, OperationTimeLimit],
    ['OVERLOAD_LIMIT', 503, Overloaded],
    ['insufficient_scope', 403, InsufficientScope],
    ['ACCESS_DENIED', 403, AccessDenied],
    ['ERROR_METHOD_NOT_FOUND', 404, MethodNotFound],
  ];
  for (const [code, status, Family] of cases) {
    it(`${code} (${status}) is a ${Family.name}`, () => {
      const error = restErrorFrom(code, 'text', status);
      assert.ok(error instanceof Family);
      assert.ok(error instanceof RestError);
      assert.deepEqual([error.code, error.description, error.status], [code, 'text', status]);
    });
  }

  it('keeps any other code as a RestError with code, description and status', () => {
    const error = restErrorFrom('ERROR_CORE', 'Something', 400);
    assert.equal(error.constructor, RestError);
    assert.equal(error.message, 'ERROR_CORE: Something (HTTP 400)');
  });

  it('knows which errors are worth a retry, and "already bound"', () => {
    assert.equal(isTransient(restErrorFrom('QUERY_LIMIT_EXCEEDED', '', 503)), true);
    assert.equal(isTransient(restErrorFrom('ACCESS_DENIED', '', 403)), false);
    assert.equal(isTransient(restErrorFrom('OPERATION_TIME_LIMIT', '', 429)), true);
  });

  it('OVERLOAD_LIMIT is final whatever its status, and says who can lift it', () => {
    for (const status of [503, 401]) {
      const error = restErrorFrom('OVERLOAD_LIMIT', 'REST API is blocked due to overload', status);
      assert.equal(isTransient(error), false);
      assert.match(error.message, /retrying does not help: .*contact Bitrix24 support/);
    }
    assert.equal(isAlreadyBound(restErrorFrom('ERROR_CORE', 'Handler already binded', 400)), true);
    assert.equal(isAlreadyBound(restErrorFrom('ERROR_CORE', 'Something else', 400)), false);
  });
});

describe('leaky bucket', () => {
  it('lets a burst through, then one request per 1/rate seconds', () => {
    const bucket = new LeakyBucket({ perSecond: 2, burst: 50 });
    for (let i = 0; i < 50; i++) assert.equal(bucket.tryTake(0), true);
    assert.equal(bucket.tryTake(0), false);
    assert.equal(bucket.tryTake(499), false);
    assert.equal(bucket.tryTake(500), true);
  });

  it('tells a client how long to wait for its turn', () => {
    const bucket = new LeakyBucket({ perSecond: 2, burst: 2 });
    assert.deepEqual([bucket.reserve(0), bucket.reserve(0), bucket.reserve(0), bucket.reserve(0)], [0, 0, 500, 1000]);
  });
});
