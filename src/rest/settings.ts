/** The REST client's settings (`createApp({ rest: {...} })`) and their defaults. */
import { BITRIX24_RATE_LIMIT, type RateLimit } from '../protocol/index.js';

export interface RestSettings {
  /** Per request. Default 30 s. */
  timeoutMs: number;
  /**
   * The portal's request limit, unless its installation has its own (`installations set-plan`). Default 2 requests/s
   * with a burst of 50 (Bitrix24's plans but Enterprise; Enterprise is 5/250). The client keeps one place spare.
   */
  rateLimit: RateLimit;
  /** Retries after QUERY_LIMIT_EXCEEDED, a 5xx, no answer, or (with `whenBlocked: 'wait'`) OPERATION_TIME_LIMIT. Default 3. */
  maxRetries: number;
  /** The ceiling of the first pause before such a retry (full jitter: a random pause up to it); doubles each time. Default 1 s. */
  retryDelayMs: number;
  /** Refresh this long before the recorded expiry. Default 60 s. */
  expirySkewMs: number;
  /**
   * A call to a method the portal blocked (OPERATION_TIME_LIMIT): `reject` at once with `OperationTimeLimit` and its
   * `retryAt` (default), or `wait` until the block ends. Parked calls always stay parked until it ends.
   */
  whenBlocked: 'reject' | 'wait';
  /** A method's execution time per 10 minutes before the portal blocks it. Default 480 s (the cloud's). */
  operatingLimitSeconds: number;
  /** How long a block lasts when the portal gave no `operating_reset_at` for it. Default 60 s (one basket). */
  operationBlockMs: number;
}

export const defaultRestSettings: RestSettings = {
  timeoutMs: 30_000,
  rateLimit: BITRIX24_RATE_LIMIT,
  maxRetries: 3,
  retryDelayMs: 1000,
  expirySkewMs: 60_000,
  whenBlocked: 'reject',
  operatingLimitSeconds: 480,
  operationBlockMs: 60_000,
};

export interface RequestOptions {
  /** Overrides `rest.whenBlocked` for this request. */
  whenBlocked?: 'reject' | 'wait' | undefined;
}
