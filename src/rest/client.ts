/**
 * The outbound REST client: the portal's current access token (refreshed when expired, or once when the portal
 * says `expired_token`), the portal's limits (docs/protocol.md#77-limits) and bounded retries when it says it is busy.
 * It knows nothing of storage: a TokenSource gives and refreshes tokens, a LimitsStore keeps the portal's leaky
 * bucket and the methods it blocked, shared by every instance where the store allows.
 */
import { backoffDelay, tokenHash, type RateLimit } from '../protocol/index.js';
import { commandsPerRequest, entriesOf, mergeAnswer, type BatchAnswer, type BatchCommand } from './batch.js';
import {
  ExpiredToken,
  isTransient,
  MethodConfirmDenied,
  MethodConfirmWaiting,
  OperationTimeLimit,
  QueryLimitExceeded,
} from './errors.js';
import { blockedError, MethodTimes, type LimitsStore } from './method-limits.js';
import { defaultRestSettings, type RequestOptions, type RestSettings } from './settings.js';
import { sendRest, type Params, type RestSuccess } from './transport.js';

export interface PortalAccess {
  memberId: string;
  clientEndpoint: string;
  accessToken: string;
  expiresAt: Date | null;
  /** The portal's own request limit (its plan), when one is set; else `rest.rateLimit`. */
  rateLimit?: RateLimit | undefined;
}

export interface TokenSource {
  current(memberId: string): Promise<PortalAccess>;
  /** A fresh token in place of `stale`; one refresh at a time per portal. */
  refresh(memberId: string, stale: PortalAccess): Promise<PortalAccess>;
}

export { defaultRestSettings, type RequestOptions, type RestSettings };

/** The longest pause between two tries of one call. */
const MAX_RETRY_DELAY_MS = 30_000;

export type { BatchAnswer, BatchCommand };

export interface RestAnswer {
  body: RestSuccess;
  /** The access the answer was given to (its token may be newer than before the call). */
  access: PortalAccess;
}

/** Told of every HTTP request the client makes (each retry is one): its method, how long it took, what it threw. */
export type RestObserver = (observation: { method: string; seconds: number; error?: unknown }) => void;

export const accessTokenHash = (access: PortalAccess): string => tokenHash(access.accessToken);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RestClient {
  readonly settings: RestSettings;
  private readonly methodTimes: MethodTimes;

  constructor(
    private readonly tokens: TokenSource,
    private readonly limits: LimitsStore,
    settings: Partial<RestSettings> = {},
    private readonly observe: RestObserver = () => {},
  ) {
    this.settings = { ...defaultRestSettings, ...settings };
    this.methodTimes = new MethodTimes(limits, this.settings.operatingLimitSeconds, this.settings.operationBlockMs);
  }

  /** The pace for a portal: its plan's limit with one place spare, for requests that reach it later than planned. */
  private paceOf(access: PortalAccess): RateLimit {
    const { perSecond, burst } = access.rateLimit ?? this.settings.rateLimit;
    return { perSecond, burst: Math.max(1, burst - 1) };
  }

  private async freshAccess(memberId: string): Promise<PortalAccess> {
    const access = await this.tokens.current(memberId);
    const expiring = access.expiresAt && access.expiresAt.getTime() - this.settings.expirySkewMs <= Date.now();
    return expiring ? this.tokens.refresh(memberId, access) : access;
  }

  /** Waits out (or rejects for) a block on the method. */
  private async unblocked(memberId: string, method: string, whenBlocked: 'reject' | 'wait'): Promise<void> {
    const until = (await this.methodTimes.blocked(memberId, [method])).get(method);
    if (!until) return;
    if (whenBlocked === 'reject') throw blockedError(method, until);
    await sleep(until.getTime() - Date.now());
  }

  async request(
    memberId: string,
    method: string,
    params: Params = {},
    options: RequestOptions = {},
  ): Promise<RestAnswer> {
    const key = method.toLowerCase();
    const whenBlocked = options.whenBlocked ?? this.settings.whenBlocked;
    let access = await this.freshAccess(memberId);
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      await this.unblocked(memberId, key, whenBlocked);
      await sleep(await this.limits.reserveRequest(memberId, this.paceOf(access)));
      const started = performance.now();
      try {
        const body = await sendRest(access.clientEndpoint, method, params, access.accessToken, this.settings.timeoutMs);
        this.observe({ method, seconds: (performance.now() - started) / 1000 });
        await this.methodTimes.note(memberId, key, body.time);
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
        if (error instanceof OperationTimeLimit) {
          error.retryAt = await this.methodTimes.refused(memberId, key);
          if (whenBlocked === 'reject' || attempt >= this.settings.maxRetries) throw error;
          continue; // waits for the block at the top of the loop
        }
        if (!isTransient(error) || attempt >= this.settings.maxRetries) throw error;
        if (error instanceof QueryLimitExceeded) await this.limits.reserveRequest(memberId, this.paceOf(access), true);
        await sleep(backoffDelay(attempt + 1, this.settings.retryDelayMs, MAX_RETRY_DELAY_MS));
      }
    }
  }

  /**
   * Runs commands through `batch`, 50 to a request; keys are the commands' indexes or the record's keys. A command
   * whose method is blocked for the portal is not sent: it is answered OPERATION_TIME_LIMIT in `resultError`, as the
   * portal would. The commands' `result_time` is read like a single call's `time`.
   */
  async batch(
    memberId: string,
    commands: BatchCommand[] | Record<string, BatchCommand>,
    options: RequestOptions = {},
  ): Promise<BatchAnswer> {
    const entries = entriesOf(commands);
    const methodOf = new Map(entries.map(([key, [method]]) => [key, method.toLowerCase()]));
    const blocked = await this.methodTimes.blocked(memberId, [...new Set(methodOf.values())]);
    const merged: BatchAnswer = {
      result: {},
      resultError: {},
      resultTotal: {},
      resultNext: {},
      access: await this.freshAccess(memberId),
    };
    const sendable = entries.filter(([key]) => {
      const until = blocked.get(methodOf.get(key)!);
      if (until) {
        const { code, description } = blockedError(methodOf.get(key)!, until);
        merged.resultError[key] = { error: code, error_description: description };
      }
      return !until;
    });
    for (const cmd of commandsPerRequest(sendable)) {
      const { body, access } = await this.request(memberId, 'batch', { halt: 0, cmd }, options);
      merged.access = access;
      const { errors, times } = mergeAnswer(merged, body.result);
      for (const [key, time] of Object.entries(times))
        if (methodOf.has(key)) await this.methodTimes.note(memberId, methodOf.get(key)!, time);
      for (const [key, failure] of Object.entries(errors))
        if (failure?.error === 'OPERATION_TIME_LIMIT' && methodOf.has(key))
          await this.methodTimes.refused(memberId, methodOf.get(key)!);
    }
    return merged;
  }
}
