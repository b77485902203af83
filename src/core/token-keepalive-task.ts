/**
 * The token keep-alive task: refresh tokens live 180 days (docs/protocol.md#78-refresh-tokens-live-180-days), so a
 * portal whose app makes no call for that long would lose access for good. Every installation whose pair is older
 * than `refreshEveryDays` is refreshed, under its refresh lease (one refresh at a time per portal across every
 * instance, and never together with a call's on-demand refresh). A refusal for good marks it needs_reinstall; any
 * other failure is tried again with full-jitter backoff, for as long as it takes: the installation stays active and
 * its last error is shown.
 */
import { backoffDelay } from '../protocol/index.js';
import { ConfigurationError } from '../rest/oauth.js';
import type { Lease } from '../store/lease.js';
import type { Installation, Store } from '../store/schema.js';
import { claimAgedTokens, releaseRefresh } from '../store/token-refresh.js';
import type { Failure, RetryPolicy } from './retry.js';
import type { FailOutcome, Task } from './runner.js';
import { REFRESH_LEASE_MS } from './tokens.js';
import { grantLost, type RefreshedPair, type TokenRefresher } from './token-refresh.js';

const DAY_MS = 86_400_000;
/** Refresh tokens live 180 days: a longer period could not keep one alive. */
const REFRESH_TOKEN_LIFETIME_DAYS = 180;

export interface TokenKeepAliveSettings {
  /** Refresh an installation whose tokens came from the OAuth server longer ago than this. Default 30 days. */
  refreshEveryDays: number;
  /** How often to look for aged tokens. Default 1 min. */
  pollMs: number;
  /** Refreshes at once in this process. Default 2. */
  concurrency: number;
  /** The backoff's ceiling before the second attempt after a failure; doubles each time. Default 1 min. */
  retryDelayMs: number;
  /** The longest pause between attempts (the docs warn against needless refreshes). Default 1 day. */
  maxRetryDelayMs: number;
}

export const defaultTokenKeepAliveSettings: TokenKeepAliveSettings = {
  refreshEveryDays: 30,
  pollMs: 60_000,
  concurrency: 2,
  retryDelayMs: 60_000,
  maxRetryDelayMs: 86_400_000,
};

/** A usable period of days, from the option or B24_TOKENS_REFRESH_EVERY_DAYS; throws a message naming the fault. */
export function refreshEveryDays(value: number | string | undefined): number {
  if (value === undefined || value === '') return defaultTokenKeepAliveSettings.refreshEveryDays;
  const days = Number(value);
  if (!Number.isFinite(days) || days <= 0 || days >= REFRESH_TOKEN_LIFETIME_DAYS)
    throw new ConfigurationError(
      `tokens.refreshEveryDays (B24_TOKENS_REFRESH_EVERY_DAYS) must be a number of days above 0 and below ${REFRESH_TOKEN_LIFETIME_DAYS} (refresh tokens live ${REFRESH_TOKEN_LIFETIME_DAYS} days), not "${String(value).slice(0, 20)}".`,
    );
  return days;
}

export class TokenKeepAliveTask implements Task<Installation, RefreshedPair> {
  readonly name = 'tokens';
  readonly concurrency: number;
  readonly leaseMs = REFRESH_LEASE_MS;
  readonly pollMs: number;
  /** Never ends an installation failed: only a refusal for good (needs_reinstall) stops the attempts. */
  readonly retry: RetryPolicy;

  constructor(
    private readonly store: Store,
    private readonly refresher: TokenRefresher,
    private readonly settings: TokenKeepAliveSettings,
    /** Milliseconds now: how old a pair is, and when to try again after a failure. */
    private readonly clock: () => number = Date.now,
  ) {
    this.concurrency = settings.concurrency;
    this.pollMs = settings.pollMs;
    this.retry = {
      maxAttempts: Number.POSITIVE_INFINITY,
      baseMs: settings.retryDelayMs,
      maxMs: settings.maxRetryDelayMs,
    };
  }

  claim(lease: Lease, limit: number): Promise<Installation[]> {
    const now = this.clock();
    return claimAgedTokens(
      this.store,
      lease,
      {
        olderThan: new Date(now - this.settings.refreshEveryDays * DAY_MS).toISOString(),
        now: new Date(now).toISOString(),
      },
      limit,
    );
  }

  describe(row: Installation) {
    return { memberId: row.member_id, attempt: row.refresh_attempts };
  }

  /** No timeout of the runner's: the OAuth request bounds itself, and a pair it answers must be stored. */
  run(row: Installation): Promise<RefreshedPair> {
    return this.refresher.send(row);
  }

  retryable = (error: unknown) => !grantLost(error);

  complete(row: Installation, owner: string, pair: RefreshedPair): Promise<boolean> {
    return this.refresher.stored(row, owner, pair);
  }

  async fail(row: Installation, owner: string, failure: Failure): Promise<FailOutcome> {
    if (grantLost(failure.cause)) return (await this.refresher.lost(row, owner, failure.cause)) ? 'failed' : 'lost';
    // The keep-alive's clock, not the runner's: a retry time is compared with it.
    const retryAt = new Date(
      this.clock() + backoffDelay(row.refresh_attempts, this.retry.baseMs, this.retry.maxMs),
    ).toISOString();
    return (await releaseRefresh(this.store.db, row.member_id, owner, { error: failure.error, retryAt }))
      ? 'retry'
      : 'lost';
  }
}
