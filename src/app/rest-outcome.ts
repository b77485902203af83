/** What a REST request's outcome is called in metrics: a fixed set of words, never the portal's own error text. */
import { OAuthError } from '../rest/oauth.js';
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
  RestUnreachable,
} from '../rest/errors.js';

export interface RestObservation {
  method: string;
  seconds: number;
  /** What the request threw; undefined when it answered a result. */
  error?: unknown;
}

const families: [new (...args: never[]) => Error, string][] = [
  [MethodConfirmWaiting, 'waiting'],
  [MethodConfirmDenied, 'denied'],
  [ExpiredToken, 'expired_token'],
  [InvalidToken, 'invalid_token'],
  [QueryLimitExceeded, 'query_limit_exceeded'],
  [OperationTimeLimit, 'operation_time_limit'],
  [Overloaded, 'overloaded'],
  [InsufficientScope, 'insufficient_scope'],
  [AccessDenied, 'access_denied'],
  [MethodNotFound, 'method_not_found'],
  [RestUnreachable, 'unreachable'],
  [OAuthError, 'oauth_error'],
];

export function restOutcome(error: unknown): string {
  if (error === undefined) return 'ok';
  for (const [family, label] of families) if (error instanceof family) return label;
  return 'error';
}
