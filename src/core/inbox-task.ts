/**
 * The inbox task: runs the app's handlers for stored events, after the answer has gone out. A handler that throws or
 * runs past `handlerTimeoutMs` leaves the event pending with the redacted error and a backoff; after the last
 * attempt it stays failed, visible, for `inbox replay`. Claiming, leases, retries and closing are the runner's.
 */
import { normaliseEvent, type B24Event } from '../protocol/index.js';
import { claimDueEvents, finishInboxEvent } from '../store/inbox.js';
import type { Lease } from '../store/lease.js';
import type { EventChannel, InboxRow, Store } from '../store/schema.js';
import type { Logger } from './logger.js';
import { withTimeout, type Failure, type RetryPolicy } from './retry.js';
import type { FailOutcome, RunContext, Task } from './runner.js';

export interface HandlerContext {
  inboxId: number;
  memberId: string;
  /** How the event came: `online` (delivered to the app) or `offline` (read from the portal's offline queue). */
  via: EventChannel;
  /** 1 on the first run, then 2, 3, ... (the event's `attempts`: runs started so far, this one included). */
  attempt: number;
  /** Aborted when the handler runs past `handlerTimeoutMs` or the app closes. */
  signal: AbortSignal;
  log: Logger;
}

export type EventHandler<E = B24Event<string>> = (event: E, ctx: HandlerContext) => unknown;

export interface InboxWorkerSettings {
  /** Events whose handlers run at once. Default 2. */
  concurrency: number;
  /** Runs started before an event stays failed. Default 5. */
  maxAttempts: number;
  /** The backoff's ceiling before the second run (the delay is random below it); doubles each time, up to `maxRetryDelayMs`. Default 1 s. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Each handler's time. Default 30 s. */
  handlerTimeoutMs: number;
  /** How long a claimed event is held before another worker may take it over. Default 5 min. */
  leaseMs: number;
  /** How often the worker looks for due retries when nothing wakes it. Default 1 s. */
  pollMs: number;
}

export const defaultInboxSettings: InboxWorkerSettings = {
  concurrency: 2,
  maxAttempts: 5,
  retryDelayMs: 1000,
  maxRetryDelayMs: 5 * 60_000,
  handlerTimeoutMs: 30_000,
  leaseMs: 5 * 60_000,
  pollMs: 1000,
};

export type HandlerOutcome = { inboxId: number; event: string; status: 'done' | 'retry' | 'failed' };

export class InboxTask implements Task<InboxRow> {
  readonly name = 'inbox';
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly retry: RetryPolicy;

  constructor(
    private readonly store: Store,
    private readonly handlersFor: (event: string) => readonly EventHandler[],
    private readonly settings: InboxWorkerSettings,
    private readonly observe: (outcome: HandlerOutcome) => void = () => {},
  ) {
    this.concurrency = settings.concurrency;
    this.leaseMs = settings.leaseMs;
    this.pollMs = settings.pollMs;
    this.retry = { maxAttempts: settings.maxAttempts, baseMs: settings.retryDelayMs, maxMs: settings.maxRetryDelayMs };
  }

  claim(lease: Lease, limit: number): Promise<InboxRow[]> {
    return claimDueEvents(this.store, lease, limit);
  }

  describe(row: InboxRow) {
    return { inboxId: row.id, event: row.event, memberId: row.member_id, via: row.via, attempt: row.attempts };
  }

  /** Every handler of the event, in turn, each within `handlerTimeoutMs` (the runner sets no bound of its own). */
  async run(row: InboxRow, { signal, log }: RunContext): Promise<void> {
    const event = normaliseEvent(JSON.parse(row.payload));
    const ctx = { inboxId: row.id, memberId: row.member_id, via: row.via, attempt: row.attempts, log };
    for (const handler of this.handlersFor(row.event)) {
      await withTimeout(
        (handlerSignal) => handler(event, { ...ctx, signal: handlerSignal }),
        this.settings.handlerTimeoutMs,
        signal,
      );
    }
  }

  async complete(row: InboxRow, owner: string): Promise<boolean> {
    const kept = await finishInboxEvent(this.store.db, row.id, owner, { status: 'done', at: new Date().toISOString() });
    if (kept) this.observe({ inboxId: row.id, event: row.event, status: 'done' });
    return kept;
  }

  async fail(row: InboxRow, owner: string, failure: Failure): Promise<FailOutcome> {
    const retryAt = failure.retryAt(row.attempts);
    const kept = await finishInboxEvent(
      this.store.db,
      row.id,
      owner,
      retryAt
        ? { status: 'pending', error: failure.error, retryAt }
        : { status: 'failed', error: failure.error, at: new Date().toISOString() },
    );
    if (!kept) return 'lost';
    this.observe({ inboxId: row.id, event: row.event, status: retryAt ? 'retry' : 'failed' });
    return retryAt ? 'retry' : 'failed';
  }
}
