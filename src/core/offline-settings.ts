/**
 * How events reach the app (`delivery`), the offline reconciler's settings (`offline: {...}`), and the one seam
 * through which it spends the portal's REST budget.
 *
 * - `safety-net` (the default): business events are bound online and offline; the reconciler drains the offline
 *   queue on ONOFFLINEEVENT, after every start and on a slow timer, and runs handlers only for records whose online
 *   delivery was lost.
 * - `pull`: business events are bound offline only and the queue is polled: no inbound connection after install.
 * - `online`: online only, as Bitrix24 sends them (an event sent while the app was away is lost).
 */
import { LeakyBucket, type RateLimit } from '../protocol/index.js';

export type Delivery = 'online' | 'safety-net' | 'pull';

export interface OfflineSettings {
  /** The source key the app binds its offline events with and reads them with, so its own writes made with it are not queued back. */
  authConnector: string;
  /** The share of the portal's REST rate (`rest.rateLimit`) the reconciler may spend. Default 0.5. */
  budgetShare: number;
  /** The slow timer of the safety net: a reconciliation at least this often. Default 5 min. */
  timerMs: number;
  /** How often pull mode polls the queue. Default 10 s. */
  pullIntervalMs: number;
  /** Records per event.offline.get. Default 50 (the portal's default). */
  batchSize: number;
  /** ONOFFLINEEVENT's `minTimeout` (seconds between two signals). Default 10. */
  signalMinTimeout: number;
  /** The longest a run waits for its budget before it gives the portal back and comes again. Default 5 s. */
  maxBudgetWaitMs: number;
  /** Backoff after a failed reconciliation (the portal answered an error, or was away): first ceiling, and the cap. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  leaseMs: number;
  /** How often the runner looks for due portals. Default 1 s. */
  pollMs: number;
}

export const defaultOfflineSettings: OfflineSettings = {
  authConnector: 'b24events',
  budgetShare: 0.5,
  timerMs: 5 * 60_000,
  pullIntervalMs: 10_000,
  batchSize: 50,
  signalMinTimeout: 10,
  maxBudgetWaitMs: 5000,
  retryDelayMs: 5000,
  maxRetryDelayMs: 10 * 60_000,
  leaseMs: 2 * 60_000,
  pollMs: 1000,
};

/**
 * May the reconciler spend one request on this portal now, within its share? Answers how many ms to wait before
 * the request it reserves (0: now). The REST client paces every request of a portal (calls, replays, the
 * reconciler) with its own bucket as well; this seam keeps the reconciler to its share, and is where a budget shared
 * across instances plugs in.
 */
export interface RestBudget {
  reserve(memberId: string, now: number): number;
}

/** A budget of `share` of `limit` per portal, in this process. */
export function shareOfRate(limit: RateLimit, share: number): RestBudget {
  const portion = { perSecond: limit.perSecond * share, burst: Math.max(1, Math.floor(limit.burst * share)) };
  const buckets = new Map<string, LeakyBucket>();
  return {
    reserve(memberId, now) {
      const bucket = buckets.get(memberId) ?? new LeakyBucket(portion);
      buckets.set(memberId, bucket);
      return bucket.reserve(now);
    },
  };
}
