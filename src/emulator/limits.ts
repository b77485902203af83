/**
 * One portal's limits, enforced as Bitrix24 enforces them (docs/protocol.md#77-limits), and what it saw of them:
 *
 * - support's manual block: every request answers 503 OVERLOAD_LIMIT while it is on (on command);
 * - the leaky bucket shared by every client of the portal: 503 QUERY_LIMIT_EXCEEDED past its burst;
 * - each method's execution time over ten baskets (`basketSeconds`, 60 like Bitrix24): a run of a method costs its
 *   `methodTime`; once a method's time in the window reaches `operatingLimitSeconds` (480), it answers 429
 *   OPERATION_TIME_LIMIT until enough baskets have dropped out; every answer's `time` carries `operating` (the
 *   method's time in the window) and `operating_reset_at` (when its oldest basket drops out);
 * - a method blocked on command for some seconds, to play a block of a given length: its limit's worth of time is put
 *   in the basket that drops out then, so `operating` and `operating_reset_at` tell the truth about it as well.
 */
import { LeakyBucket, type RateLimit } from '../protocol/index.js';
import { fail, type RestAnswer } from './answers.js';

export interface LimitSettings {
  /** Per-portal request limit; false turns it off. */
  rateLimit: RateLimit | false;
  /** Execution time one run of a method costs, in seconds (lower-case method names; others cost 0). */
  methodTime: Record<string, number>;
  operatingLimitSeconds: number;
  basketSeconds: number;
}

export const defaultLimitSettings: LimitSettings = {
  rateLimit: { perSecond: 2, burst: 50 },
  methodTime: {},
  operatingLimitSeconds: 480,
  basketSeconds: 60,
};

const BASKETS = 10;

/** What the portal saw: requests, each refusal, the most requests within one second and the fullest its bucket got. */
export interface LimitStats {
  requests: number;
  queryLimitExceeded: number;
  operationTimeLimit: number;
  overloadLimit: number;
  peakPerSecond: number;
  peakBucketLevel: number;
}

export class PortalLimits {
  bucket: LeakyBucket | undefined;
  overloaded = false;
  readonly stats: LimitStats = {
    requests: 0,
    queryLimitExceeded: 0,
    operationTimeLimit: 0,
    overloadLimit: 0,
    peakPerSecond: 0,
    peakBucketLevel: 0,
  };
  /** method → basket number → seconds used. */
  private readonly used = new Map<string, Map<number, number>>();
  private readonly lastSecond: number[] = [];

  constructor(
    private readonly settings: LimitSettings,
    private readonly now: () => number,
  ) {
    this.bucket = settings.rateLimit === false ? undefined : new LeakyBucket(settings.rateLimit);
  }

  /** A new limit (a plan changed), with a fresh bucket and fresh stats: what the portal saw under this limit. */
  setRateLimit(limit: RateLimit | false): void {
    this.bucket = limit === false ? undefined : new LeakyBucket(limit);
    for (const key of Object.keys(this.stats) as (keyof LimitStats)[]) this.stats[key] = 0;
    this.lastSecond.length = 0;
  }

  /** A request arrives (a batch is one): OVERLOAD_LIMIT, QUERY_LIMIT_EXCEEDED, or undefined to go on. */
  admit(): RestAnswer | undefined {
    const now = this.now();
    this.stats.requests++;
    this.lastSecond.push(now);
    while (this.lastSecond[0]! <= now - 1000) this.lastSecond.shift();
    this.stats.peakPerSecond = Math.max(this.stats.peakPerSecond, this.lastSecond.length);
    if (this.overloaded) {
      this.stats.overloadLimit++;
      return fail(503, 'OVERLOAD_LIMIT', 'REST API is blocked due to overload');
    }
    if (this.bucket && !this.bucket.tryTake(now)) {
      this.stats.queryLimitExceeded++;
      return fail(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests');
    }
    if (this.bucket) this.stats.peakBucketLevel = Math.max(this.stats.peakBucketLevel, this.bucket.level);
    return undefined;
  }

  /** Before a method runs: OPERATION_TIME_LIMIT while it is blocked or its time is used up, else undefined. */
  check(method: string): RestAnswer | undefined {
    if (this.usage(method).operating < this.settings.operatingLimitSeconds) return undefined;
    this.stats.operationTimeLimit++;
    return fail(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.');
  }

  /** After a method ran: its cost is added; answers the `time` fields for its answer. */
  charge(method: string): { operating: number; operating_reset_at: number } {
    this.use(method, this.basket(this.now()), this.settings.methodTime[method] ?? 0);
    return this.usage(method);
  }

  /**
   * On command: the method answers OPERATION_TIME_LIMIT for about `seconds` (at most the window): its limit's worth
   * of time goes into the basket that drops out then (so the block lasts up to one basket longer). Answers its end.
   */
  block(method: string, seconds: number): Date {
    const basketMs = this.settings.basketSeconds * 1000;
    const current = this.basket(this.now());
    const basket = Math.min(current, Math.ceil((this.now() + seconds * 1000) / basketMs) - BASKETS);
    this.use(method, basket, this.settings.operatingLimitSeconds);
    return new Date(this.usage(method).operating_reset_at * 1000);
  }

  private use(method: string, basket: number, seconds: number): void {
    if (seconds <= 0) return;
    const baskets = this.used.get(method) ?? new Map<number, number>();
    baskets.set(basket, (baskets.get(basket) ?? 0) + seconds);
    this.used.set(method, baskets);
  }

  private basket(ms: number): number {
    return Math.floor(ms / (this.settings.basketSeconds * 1000));
  }

  /** The method's time within the window, and when its oldest basket drops out (a full window ahead when none). */
  usage(method: string): { operating: number; operating_reset_at: number } {
    const now = this.now();
    const current = this.basket(now);
    const baskets = this.used.get(method);
    let operating = 0;
    let oldest: number | undefined;
    for (const [basket, seconds] of baskets ?? []) {
      if (basket <= current - BASKETS) baskets!.delete(basket);
      else {
        operating += seconds;
        oldest = Math.min(oldest ?? basket, basket);
      }
    }
    const resetMs =
      oldest === undefined
        ? now + BASKETS * this.settings.basketSeconds * 1000
        : (oldest + BASKETS) * this.settings.basketSeconds * 1000;
    return { operating, operating_reset_at: Math.floor(resetMs / 1000) };
  }
}
