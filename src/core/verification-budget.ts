/**
 * What proving installs may cost: the OAuth refreshes made on behalf of requests nobody has proved yet are bounded by
 * a rate, a concurrency cap with a short queue, and a memory of refresh tokens that just failed. A flood of forged
 * installs thus makes a bounded number of requests with the app's client secret, and answers 503 beyond that.
 */
import { B24EventsError, LeakyBucket, type RateLimit } from '../protocol/index.js';

export interface VerificationLimits {
  /** OAuth refreshes for unproved installs, across all portals. Default 5/s with a burst of 20. */
  rate: RateLimit;
  /** At most this many at once; more wait, up to `queue`, then are refused with 503. Default 4 and 32. */
  concurrency: number;
  queue: number;
  /** A refresh token that failed is refused without a request for this long. Default 60 s. */
  failureMemoryMs: number;
}

export const defaultVerificationLimits: VerificationLimits = {
  rate: { perSecond: 5, burst: 20 },
  concurrency: 4,
  queue: 32,
  failureMemoryMs: 60_000,
};

/** Too many installs are being proved at once (a flood of forged ones, most likely): try again shortly. */
export class VerificationBusyError extends B24EventsError {
  constructor() {
    super(
      'verification_busy',
      'Too many installs are being verified with the OAuth server right now; try again in a few seconds.',
      503,
    );
  }
}

/** Remembered failures are bounded too: past this many, expired ones are dropped and new ones not kept. */
const MAX_REMEMBERED = 10_000;

export class VerificationBudget {
  private readonly bucket: LeakyBucket;
  private readonly failures = new Map<string, { until: number; why: string }>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** OAuth requests sent for unproved installs, for metrics and tests. */
  requestsSent = 0;

  constructor(private readonly limits: VerificationLimits = defaultVerificationLimits) {
    this.bucket = new LeakyBucket(limits.rate);
  }

  /** Why `key` (a member_id and a refresh token's hash) failed a moment ago, if it did. */
  recentFailure(key: string): string | undefined {
    const failed = this.failures.get(key);
    return failed && failed.until > Date.now() ? failed.why : undefined;
  }

  remember(key: string, why: string): void {
    const now = Date.now();
    if (this.failures.size >= MAX_REMEMBERED)
      for (const [k, v] of this.failures) if (v.until <= now) this.failures.delete(k);
    if (this.failures.size < MAX_REMEMBERED) this.failures.set(key, { until: now + this.limits.failureMemoryMs, why });
  }

  /** Runs one OAuth request within the rate and the concurrency cap, or refuses at once when too many wait. */
  async spend<T>(request: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.concurrency) {
      if (this.waiting.length >= this.limits.queue) throw new VerificationBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      const wait = this.bucket.reserve(Date.now());
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.requestsSent++;
      return await request();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
