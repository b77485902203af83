/**
 * Bitrix24's request limit, a leaky bucket (docs/protocol.md#77-limits): each request adds one; the bucket drains at `perSecond`;
 * past `burst` the portal answers QUERY_LIMIT_EXCEEDED. Pure arithmetic on a clock the caller passes in: the REST
 * client uses it to wait its turn, the emulator to refuse.
 */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** Every plan but Enterprise. */
export const BITRIX24_RATE_LIMIT: RateLimit = { perSecond: 2, burst: 50 };

/** Bitrix24's plans by the limit they set (docs/protocol.md#77-limits). */
export const RATE_PLANS = {
  standard: BITRIX24_RATE_LIMIT,
  enterprise: { perSecond: 5, burst: 250 },
} as const satisfies Record<string, RateLimit>;

export type RatePlan = keyof typeof RATE_PLANS;

/** The plan a limit is, or `custom`. */
export const planOf = (limit: RateLimit): RatePlan | 'custom' =>
  (Object.keys(RATE_PLANS) as RatePlan[]).find(
    (plan) => RATE_PLANS[plan].perSecond === limit.perSecond && RATE_PLANS[plan].burst === limit.burst,
  ) ?? 'custom';

/** A limit written PER_SECOND/BURST (`2/50`, `0.5/10`); undefined when it is not one. */
export function parseRateLimit(text: string): RateLimit | undefined {
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(text);
  if (!match || Number(match[1]) <= 0 || Number(match[2]) < 1) return undefined;
  return { perSecond: Number(match[1]), burst: Number(match[2]) };
}

/** A limit as PER_SECOND/BURST. */
export const formatRateLimit = (limit: RateLimit): string => `${limit.perSecond}/${limit.burst}`;

export class LeakyBucket {
  private filled = 0;
  private last = 0;

  /** May change between calls (a portal's plan changed): the level carries over. */
  constructor(public limit: RateLimit) {}

  private drain(now: number): void {
    this.filled = Math.max(0, this.filled - ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
  }

  /** Places taken, as of the last request (it drains from then on). */
  get level(): number {
    return this.filled;
  }

  /** Takes a place if there is room now; false if the request would overflow the bucket. */
  tryTake(now: number): boolean {
    this.drain(now);
    if (this.filled + 1 > this.limit.burst) return false;
    this.filled += 1;
    return true;
  }

  /** Reserves the next place and answers how many ms to wait before using it (0: go now). */
  reserve(now: number): number {
    this.drain(now);
    const wait = Math.max(0, ((this.filled + 1 - this.limit.burst) / this.limit.perSecond) * 1000);
    this.filled += 1;
    return Math.ceil(wait);
  }

  /** After the portal refused: treat the bucket as full. */
  fill(now: number): void {
    this.drain(now);
    this.filled = Math.max(this.filled, this.limit.burst);
  }
}
