/** The REST error taxonomy: one class per family worth its own handling (docs/protocol.md sections 5 and 6), RestError for the rest. */
import { OAuthError } from './oauth.js';

export class RestError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    /** HTTP status of the portal's answer; 0 when no answer came. */
    readonly status: number,
  ) {
    super(`${code}: ${description}${status ? ` (HTTP ${status})` : ''}`);
    this.name = new.target.name;
  }
}

/** What a confirmation error knows of the token that made the call, without the token itself. */
export interface TokenInfo {
  tokenHash: string;
  tokenExpiresAt: Date | null;
}

export class MethodConfirmWaiting extends RestError {
  token?: TokenInfo;
}
export class MethodConfirmDenied extends RestError {
  token?: TokenInfo;
}
export class ExpiredToken extends RestError {}
export class InvalidToken extends RestError {}
export class QueryLimitExceeded extends RestError {}

/**
 * OPERATION_TIME_LIMIT (docs/protocol.md#77-limits): the method has used up its execution time on this portal for now.
 * `retryAt` is when this app will send it again (the block is kept in the store, so every instance waits for it); it
 * is set when the client recorded or met the block, absent on a command error read straight from a batch answer.
 */
export class OperationTimeLimit extends RestError {
  retryAt?: Date;
}

/**
 * OVERLOAD_LIMIT (docs/protocol.md#77-limits): Bitrix24 support blocked the portal's REST API by hand. Retrying does not
 * help; the message says so, and who can lift it.
 */
export class Overloaded extends RestError {
  constructor(code: string, description: string, status: number) {
    super(code, description, status);
    this.message +=
      ". Bitrix24 support blocked the REST API of this portal by hand; retrying does not help: the portal's administrator must contact Bitrix24 support to lift the block.";
  }
}
export class InsufficientScope extends RestError {}
export class AccessDenied extends RestError {}
export class MethodNotFound extends RestError {}
/** No answer: the connection failed or the request ran past its timeout. */
export class RestUnreachable extends RestError {}

const families: Record<string, new (code: string, description: string, status: number) => RestError> = {
  METHOD_CONFIRM_WAITING: MethodConfirmWaiting,
  METHOD_CONFIRM_DENIED: MethodConfirmDenied,
  expired_token: ExpiredToken,
  NO_AUTH_FOUND: InvalidToken,
  invalid_token: InvalidToken,
  QUERY_LIMIT_EXCEEDED: QueryLimitExceeded,
  OPERATION_TIME_LIMIT: OperationTimeLimit,
  OVERLOAD_LIMIT: Overloaded,
  insufficient_scope: InsufficientScope,
  ACCESS_DENIED: AccessDenied,
  ERROR_METHOD_NOT_FOUND: MethodNotFound,
};

export function restErrorFrom(code: string, description: string, status: number): RestError {
  const Family = families[code] ?? RestError;
  return new Family(code, description, status);
}

/**
 * OAuth answers that say the server is away for now (no answer, a timeout, an error page instead of JSON, OAuth 2's
 * own "try later" codes); `invalid_grant` and `invalid_client` are final.
 */
const TRANSIENT_OAUTH = new Set([
  'oauth_unreachable',
  'oauth_timeout',
  'oauth_error',
  'temporarily_unavailable',
  'server_error',
]);

/**
 * Worth trying again after a pause: the portal's limits, no answer at all, or an OAuth server that is away. Not
 * OVERLOAD_LIMIT, a block only a person can lift, whatever its HTTP status (docs/protocol.md#77-limits: 503 or 401).
 */
export const isTransient = (error: unknown): boolean =>
  error instanceof QueryLimitExceeded ||
  error instanceof OperationTimeLimit ||
  error instanceof RestUnreachable ||
  (error instanceof RestError && !(error instanceof Overloaded) && error.status >= 500) ||
  (error instanceof OAuthError && TRANSIENT_OAUTH.has(error.code));

/** event.bind's answer when the handler is bound already (ERROR_CORE "Handler already binded"). */
export const isAlreadyBound = (error: unknown): boolean =>
  error instanceof RestError && /already bind/i.test(error.description);

/**
 * The plan lacks a feature the call asked for (403 WRONG_LICENSE): `clear=0` without rest_offline_extended, or an
 * `auth_connector` without rest_auth_connector (docs/protocol.md#84-reading-and-acknowledging).
 */
export const isWrongLicense = (error: unknown): boolean => error instanceof RestError && error.code === 'WRONG_LICENSE';
