/**
 * Runs the app's handlers for stored events, after the answer has gone out. A handler that throws or runs past its
 * time leaves the event pending with the (redacted) error and a backoff; after the last attempt it stays failed,
 * visible, for replay. Leases let another worker take over an event whose worker died.
 */
import { normaliseEvent, redactText, type B24Event } from '../protocol/index.js';
import { claimDueEvent, finishInboxEvent } from '../store/inbox.js';
import { installationSecrets } from '../store/installations.js';
import type { InboxRow, Store } from '../store/schema.js';
import { backoffDelay, errorText, withTimeout } from './backoff.js';
import { Poller } from './poller.js';
import type { Logger } from './logger.js';

export interface HandlerContext {
  inboxId: number;
  memberId: string;
  /** 1 on the first run, then 2, 3, ... */
  attempt: number;
  /** Aborted when the handler runs past `handlerTimeoutMs` or the app closes. */
  signal: AbortSignal;
  log: Logger;
}

export type EventHandler<E = B24Event<string>> = (event: E, ctx: HandlerContext) => unknown;

export interface InboxWorkerSettings {
  /** Handlers run at once, across events. Default 2. */
  concurrency: number;
  /** Runs before an event stays failed. Default 5. */
  maxAttempts: number;
  /** Delay before the second run; doubles each time, up to `maxRetryDelayMs`. Default 1 s. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Default 30 s. */
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

export class InboxWorker {
  private running = 0;
  private readonly poller: Poller;
  private readonly idle = new Set<() => void>();
  private readonly closing = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly handlersFor: (event: string) => readonly EventHandler[],
    private readonly settings: InboxWorkerSettings,
    private readonly log: Logger,
    private readonly observe: (outcome: HandlerOutcome) => void = () => {},
  ) {
    this.poller = new Poller(() => this.claimWhileRoom(), settings.pollMs, (error) => log.error({ err: error }, 'inbox worker could not claim events'));
  }

  start(): void {
    this.poller.start();
  }

  /** Look for due events now (after an event was stored, say); does nothing in an app that runs no workers. */
  wake(): void {
    this.poller.wake();
  }

  private async claimWhileRoom(): Promise<void> {
    while (this.poller.active && this.running < this.settings.concurrency) {
      const now = Date.now();
      const row = await claimDueEvent(this.store.db, new Date(now).toISOString(), new Date(now + this.settings.leaseMs).toISOString(), this.store.dialect === 'postgres');
      if (!row) break;
      this.running++;
      void this.run(row).finally(() => {
        this.running--;
        if (this.running === 0) for (const resolve of this.idle) resolve();
        this.wake();
      });
    }
  }

  private async run(row: InboxRow): Promise<void> {
    const log = this.log.child({ inboxId: row.id, event: row.event, memberId: row.member_id, attempt: row.attempts });
    try {
      const event = normaliseEvent(JSON.parse(row.payload));
      for (const handler of this.handlersFor(row.event)) await this.runOne(handler, event, row, log);
      await finishInboxEvent(this.store.db, row.id, { status: 'done', at: new Date().toISOString() });
      this.observe({ inboxId: row.id, event: row.event, status: 'done' });
    } catch (error) {
      await this.fail(row, error, log);
    }
  }

  private async runOne(handler: EventHandler, event: B24Event<string>, row: InboxRow, log: Logger): Promise<void> {
    await withTimeout(
      (signal) => handler(event, { inboxId: row.id, memberId: row.member_id, attempt: row.attempts, signal, log }),
      this.settings.handlerTimeoutMs,
      this.closing.signal,
    );
  }

  private async fail(row: InboxRow, error: unknown, log: Logger): Promise<void> {
    const secrets = await installationSecrets(this.store.db, row.member_id).catch(() => []);
    const message = redactText(errorText(error), secrets);
    const last = row.attempts >= this.settings.maxAttempts;
    const now = Date.now();
    const delay = backoffDelay(row.attempts, this.settings.retryDelayMs, this.settings.maxRetryDelayMs);
    await finishInboxEvent(
      this.store.db,
      row.id,
      last
        ? { status: 'failed', error: message, at: new Date(now).toISOString() }
        : { status: 'pending', error: message, retryAt: new Date(now + delay).toISOString() },
    );
    log.warn({ error: message, willRetry: !last }, last ? 'handler failed; event left as failed' : 'handler failed; will retry');
    this.observe({ inboxId: row.id, event: row.event, status: last ? 'failed' : 'retry' });
  }

  /** Stops claiming, aborts nothing that finishes in time, and waits for running handlers. */
  async close(graceMs = 10_000): Promise<void> {
    await this.poller.stop();
    if (this.running === 0) return;
    const drained = new Promise<void>((resolve) => this.idle.add(resolve));
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([drained, grace]);
    if (this.running > 0) {
      this.closing.abort();
      await drained;
    }
  }
}
