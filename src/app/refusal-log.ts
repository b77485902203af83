/**
 * Refusals are logged, but not without bound: anyone can send refusals as fast as the network allows, and each line
 * costs disk. At most `perSecond` lines per refusal code each second; the rest are counted and summed up in one
 * "refusals not logged" line when that second is over. /metrics counts every refusal exactly, logged or not.
 */
import type { Logger } from 'pino';
import type { ReceiveOutcome } from '../core/receiver.js';
import type { createMetrics } from './metrics.js';

export interface RefusalLogSettings {
  /** Lines per refusal code per second. Default 10. */
  perSecond: number;
  now: () => number;
}

export interface Refusal {
  error: string;
  reason: string;
  event?: string | undefined;
  memberId?: string | undefined;
}

interface Window {
  startedAt: number;
  logged: number;
  suppressed: number;
  timer?: NodeJS.Timeout | undefined;
}

/** Request text in a log line is bounded: an event name may be 60,000 characters. */
const short = (text: string | undefined) => (text !== undefined && text.length > 64 ? `${text.slice(0, 64)}…` : text);

export function refusalLog(log: Logger, settings: Partial<RefusalLogSettings> = {}): (refusal: Refusal) => void {
  const perSecond = settings.perSecond ?? 10;
  const now = settings.now ?? Date.now;
  const windows = new Map<string, Window>();
  const flush = (code: string, window: Window) => {
    if (window.timer) clearTimeout(window.timer);
    window.timer = undefined;
    if (window.suppressed > 0)
      log.warn(
        { error: code, suppressed: window.suppressed },
        'refusals not logged (rate limit); /metrics counts them all',
      );
    window.suppressed = 0;
  };
  return (refusal) => {
    const at = now();
    let window = windows.get(refusal.error);
    if (!window || at - window.startedAt >= 1000) {
      if (window) flush(refusal.error, window);
      window = { startedAt: at, logged: 0, suppressed: 0 };
      windows.set(refusal.error, window);
    }
    if (window.logged < perSecond) {
      window.logged++;
      log.warn(
        {
          event: short(refusal.event),
          memberId: short(refusal.memberId),
          error: refusal.error,
          reason: refusal.reason,
        },
        'event refused',
      );
      return;
    }
    window.suppressed++;
    const current = window;
    current.timer ??= setTimeout(
      () => flush(refusal.error, current),
      Math.max(0, current.startedAt + 1000 - at),
    ).unref();
  };
}

/** What the app logs and counts of each delivery: stored, refused (rate-limited lines), or failed (500 or 503). */
export function receiverLog(log: Logger, metrics: ReturnType<typeof createMetrics>) {
  const logRefusal = refusalLog(log);
  return {
    observe(outcome: ReceiveOutcome): void {
      metrics.countReceived(outcome);
      if (outcome.ok) {
        const { inboxId, event, memberId, duplicate } = outcome.receipt;
        // Per event, so at debug: at info it was a JSON line written to stdout for every 2xx (7% of the ingest CPU).
        log.debug({ inboxId, event, memberId, duplicate }, 'event stored');
      } else {
        logRefusal({
          event: outcome.event,
          memberId: outcome.memberId,
          error: outcome.error.code,
          reason: outcome.error.message,
        });
      }
    },
    failed(error: unknown, status: 500 | 503): void {
      metrics.countFailure(status);
      if (status === 503) log.warn({ err: error }, 'event not stored: the database is unavailable (answered 503)');
      else log.error({ err: error }, 'event could not be stored');
    },
  };
}
