/**
 * The outbound REST client: the portal's current access token (refreshed when expired, or once when the portal
 * says `expired_token`), each portal's leaky bucket, and bounded retries when the portal says it is busy.
 * It knows nothing of storage: a TokenSource gives and refreshes tokens.
 */
import {
  backoffDelay,
  BATCH_LIMIT,
  BITRIX24_RATE_LIMIT,
  httpBuildQuery,
  LeakyBucket,
  tokenHash,
  type RateLimit,
} from '../protocol/index.js';
import { ExpiredToken, isTransient, MethodConfirmDenied, MethodConfirmWaiting, QueryLimitExceeded } from './errors.js';
import { sendRest, type Params, type RestSuccess } from './transport.js';

export interface PortalAccess {
  memberId: string;
  clientEndpoint: string;
  accessToken: string;
  expiresAt: Date | null;
}

export interface TokenSource {
  current(memberId: string): Promise<PortalAccess>;
  /** A fresh token in place of `stale`; one refresh at a time per portal. */
  refresh(memberId: string, stale: PortalAccess): Promise<PortalAccess>;
}

export interface RestSettings {
  /** Per request. Default 30 s. */
  timeoutMs: number;
  /** The client's own pacing per portal. Default 2 requests/s, burst 50. */
  rateLimit: RateLimit;
  /** Retries after QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT, OVERLOAD_LIMIT or no answer. Default 3. */
  maxRetries: number;
  /** The ceiling of the first pause before such a retry (full jitter: a random pause up to it); doubles each time. Default 1 s. */
  retryDelayMs: number;
  /** Refresh this long before the recorded expiry. Default 60 s. */
  expirySkewMs: number;
}

/** The longest pause between two tries of one call. */
const MAX_RETRY_DELAY_MS = 30_000;

export const defaultRestSettings: RestSettings = {
  timeoutMs: 30_000,
  rateLimit: BITRIX24_RATE_LIMIT,
  maxRetries: 3,
  retryDelayMs: 1000,
  expirySkewMs: 60_000,
};

export interface RestAnswer {
  body: RestSuccess;
  /** The access the answer was given to (its token may be newer than before the call). */
  access: PortalAccess;
}

export type BatchCommand = [method: string, params?: Params];

export interface BatchAnswer {
  result: Record<string, unknown>;
  resultError: Record<string, { error: string; error_description: string }>;
  resultTotal: Record<string, number>;
  resultNext: Record<string, number>;
  access: PortalAccess;
}

/** Told of every HTTP request the client makes (each retry is one): its method, how long it took, what it threw. */
export type RestObserver = (observation: { method: string; seconds: number; error?: unknown }) => void;

export const accessTokenHash = (access: PortalAccess): string => tokenHash(access.accessToken);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RestClient {
  private readonly buckets = new Map<string, LeakyBucket>();
  readonly settings: RestSettings;

  constructor(
    private readonly tokens: TokenSource,
    settings: Partial<RestSettings> = {},
    private readonly observe: RestObserver = () => {},
  ) {
    this.settings = { ...defaultRestSettings, ...settings };
  }

  private bucket(memberId: string): LeakyBucket {
    const known = this.buckets.get(memberId);
    if (known) return known;
    const bucket = new LeakyBucket(this.settings.rateLimit);
    this.buckets.set(memberId, bucket);
    return bucket;
  }

  private async freshAccess(memberId: string): Promise<PortalAccess> {
    const access = await this.tokens.current(memberId);
    const expiring = access.expiresAt && access.expiresAt.getTime() - this.settings.expirySkewMs <= Date.now();
    return expiring ? this.tokens.refresh(memberId, access) : access;
  }

  async request(memberId: string, method: string, params: Params = {}): Promise<RestAnswer> {
    let access = await this.freshAccess(memberId);
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      await sleep(this.bucket(memberId).reserve(Date.now()));
      const started = performance.now();
      try {
        const body = await sendRest(access.clientEndpoint, method, params, access.accessToken, this.settings.timeoutMs);
        this.observe({ method, seconds: (performance.now() - started) / 1000 });
        return { body, access };
      } catch (error) {
        this.observe({ method, seconds: (performance.now() - started) / 1000, error });
        if (error instanceof ExpiredToken && !refreshed) {
          access = await this.tokens.refresh(memberId, access);
          refreshed = true;
          continue;
        }
        if (error instanceof MethodConfirmWaiting || error instanceof MethodConfirmDenied) {
          error.token = { tokenHash: accessTokenHash(access), tokenExpiresAt: access.expiresAt };
        }
        if (!isTransient(error) || attempt >= this.settings.maxRetries) throw error;
        if (error instanceof QueryLimitExceeded) this.bucket(memberId).fill(Date.now());
        await sleep(backoffDelay(attempt + 1, this.settings.retryDelayMs, MAX_RETRY_DELAY_MS));
      }
    }
  }

  /** Runs commands through `batch`, 50 to a request; keys are the commands' indexes or the record's keys. */
  async batch(memberId: string, commands: BatchCommand[] | Record<string, BatchCommand>): Promise<BatchAnswer> {
    const entries = Array.isArray(commands)
      ? commands.map((c, i) => [String(i), c] as const)
      : Object.entries(commands);
    const merged: BatchAnswer = {
      result: {},
      resultError: {},
      resultTotal: {},
      resultNext: {},
      access: await this.freshAccess(memberId),
    };
    for (let i = 0; i < entries.length; i += BATCH_LIMIT) {
      const cmd: Record<string, string> = {};
      for (const [key, [method, params]] of entries.slice(i, i + BATCH_LIMIT)) {
        const query = params ? httpBuildQuery(params) : '';
        cmd[key] = query ? `${method}?${query}` : method;
      }
      const { body, access } = await this.request(memberId, 'batch', { halt: 0, cmd });
      const part = (body.result ?? {}) as {
        result?: Record<string, unknown> | unknown[];
        result_error?: BatchAnswer['resultError'] | unknown[];
        result_total?: BatchAnswer['resultTotal'] | unknown[];
        result_next?: BatchAnswer['resultNext'] | unknown[];
      };
      // PHP's json_encode writes a list where the keys are 0..n-1 (an empty map, or the first 50 of a list of commands).
      const asMap = <T>(value: T | unknown[] | undefined) =>
        Array.isArray(value) ? Object.fromEntries(value.map((v, k) => [String(k), v])) : (value ?? {});
      Object.assign(merged.result, asMap(part.result));
      Object.assign(merged.resultError, asMap(part.result_error));
      Object.assign(merged.resultTotal, asMap(part.result_total));
      Object.assign(merged.resultNext, asMap(part.result_next));
      merged.access = access;
    }
    return merged;
  }
}
