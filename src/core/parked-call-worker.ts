/**
 * Replays parked calls once the administrator granted them, and runs their continuations.
 *
 * Replay: ready calls of one portal are leased together and sent as one `batch` with the portal's current token.
 * A call whose token was refreshed before the decision meets METHOD_CONFIRM_WAITING again: it is parked anew under
 * the current token (a new prompt to the administrator), never dropped.
 * Continuation: each finished call (done, denied, failed) runs the `app.resume(name)` handler, retried on failure.
 * Leases let another worker take over from one that died; every write names the lease owner.
 */
import { randomUUID } from 'node:crypto';
import { redactText } from '../protocol/index.js';
import { accessTokenHash, type BatchAnswer, type RestClient } from '../rest/client.js';
import { isTransient, MethodConfirmDenied, MethodConfirmWaiting, restErrorFrom, RestError } from '../rest/errors.js';
import { installationSecrets } from '../store/installations.js';
import { claimContinuations, claimReadyCalls, settleParkedCall } from '../store/parked-calls.js';
import { recordRefusal, recordWaiting } from '../store/permissions.js';
import type { ParkedCallRow, Store } from '../store/schema.js';
import { backoffDelay, errorText, withTimeout } from './backoff.js';
import type { Logger } from './logger.js';
import { Poller } from './poller.js';

export type ResumeOutcome<R = unknown> = { callId: number; memberId: string; method: string } & (
  | { status: 'ok'; result: R }
  | { status: 'denied' }
  | { status: 'failed'; error: string }
);

export interface ResumeContext {
  callId: number;
  /** 1 on the first run of this continuation, then 2, 3, ... */
  attempt: number;
  signal: AbortSignal;
  log: Logger;
}

export type ResumeHandler<R = unknown> = (outcome: ResumeOutcome<R>, ctx: ResumeContext) => unknown;

export interface ParkedCallSettings {
  /** Replays of one call before it ends failed (no answer, the portal busy). Default 5. */
  maxReplayAttempts: number;
  /** Runs of a continuation before it is left failed. Default 5. */
  maxContinuationAttempts: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  handlerTimeoutMs: number;
  /** How long a claimed call is held before another worker may take it over. Default 2 min. */
  leaseMs: number;
  pollMs: number;
  /** Continuations run at once. Default 4. */
  concurrency: number;
}

export const defaultParkedCallSettings: ParkedCallSettings = {
  maxReplayAttempts: 5,
  maxContinuationAttempts: 5,
  retryDelayMs: 1000,
  maxRetryDelayMs: 5 * 60_000,
  handlerTimeoutMs: 30_000,
  leaseMs: 2 * 60_000,
  pollMs: 1000,
  concurrency: 4,
};

const BATCH_SIZE = 50;

export class ParkedCallWorker {
  readonly owner = randomUUID();
  private readonly poller: Poller;
  private readonly closing = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly rest: RestClient,
    private readonly resumers: (name: string) => ResumeHandler | undefined,
    private readonly settings: ParkedCallSettings,
    private readonly log: Logger,
  ) {
    this.poller = new Poller(() => this.round(), settings.pollMs, (error) => log.error({ err: error }, 'parked call worker failed a round'));
  }

  start(): void {
    this.poller.start();
  }

  /** Look for work now; does nothing in an app that runs no workers. */
  wake(): void {
    this.poller.wake();
  }

  private lease() {
    const now = Date.now();
    return {
      owner: this.owner,
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + this.settings.leaseMs).toISOString(),
      skipLocked: this.store.dialect === 'postgres',
    };
  }

  private async round(): Promise<void> {
    while (this.poller.active) {
      const replayed = await this.replayOnce();
      const continued = await this.continueOnce();
      if (!replayed && !continued) break;
    }
  }

  private async replayOnce(): Promise<boolean> {
    const calls = await claimReadyCalls(this.store.db, { ...this.lease(), limit: BATCH_SIZE });
    if (calls.length === 0) return false;
    const memberId = calls[0]!.member_id;
    let answer: BatchAnswer;
    try {
      answer = await this.rest.batch(memberId, Object.fromEntries(calls.map((c) => [`c${c.id}`, [c.method, JSON.parse(c.params)]])));
    } catch (error) {
      for (const call of calls) await this.replayFailed(call, error);
      return true;
    }
    for (const call of calls) {
      const key = `c${call.id}`;
      const failure = answer.resultError[key];
      if (failure) await this.replayAnswered(call, restErrorFrom(failure.error, failure.error_description ?? '', 0), answer);
      else if (key in answer.result) await this.settle(call, { state: 'done', result: JSON.stringify(answer.result[key] ?? null), error: null, finished_at: this.now() });
      else await this.replayFailed(call, new RestError('NO_RESULT', 'the batch answer had no result for this call', 0));
    }
    return true;
  }

  private now(): string {
    return new Date().toISOString();
  }

  private async replayAnswered(call: ParkedCallRow, error: RestError, answer: BatchAnswer): Promise<void> {
    const at = this.now();
    const key = { memberId: call.member_id, tokenHash: accessTokenHash(answer.access), method: call.method };
    const tokenExpiresAt = answer.access.expiresAt?.toISOString() ?? null;
    if (error instanceof MethodConfirmWaiting) {
      // The call went out with a newer token than the one granted: it waits again, under that token.
      await this.store.db.transaction().execute(async (trx) => {
        await recordWaiting(trx, { ...key, requestedAt: at, tokenExpiresAt, callStartedAt: at });
        await settleParkedCall(trx, call.id, this.owner, { state: 'waiting', token_hash: key.tokenHash, updated_at: at });
      });
      this.log.info({ callId: call.id, memberId: call.member_id, method: call.method }, 'parked call waits again under the current token');
    } else if (error instanceof MethodConfirmDenied) {
      await this.store.db.transaction().execute(async (trx) => {
        await recordRefusal(trx, { ...key, tokenExpiresAt, at });
        await settleParkedCall(trx, call.id, this.owner, { state: 'denied', token_hash: key.tokenHash, finished_at: at, updated_at: at });
      });
    } else {
      await this.replayFailed(call, error);
    }
  }

  private async replayFailed(call: ParkedCallRow, error: unknown): Promise<void> {
    const attempts = call.attempts + 1;
    const message = await this.redacted(call.member_id, errorText(error));
    if (isTransient(error) && attempts < this.settings.maxReplayAttempts) {
      const retryAt = new Date(Date.now() + backoffDelay(attempts, this.settings.retryDelayMs, this.settings.maxRetryDelayMs)).toISOString();
      await this.settle(call, { state: 'ready', attempts, error: message, next_attempt_at: retryAt });
    } else {
      await this.settle(call, { state: 'failed', attempts, error: message, finished_at: this.now() });
    }
  }

  private async settle(call: ParkedCallRow, changes: Parameters<typeof settleParkedCall>[3]): Promise<void> {
    const kept = await settleParkedCall(this.store.db, call.id, this.owner, { ...changes, updated_at: this.now(), next_attempt_at: changes.next_attempt_at ?? this.now() });
    if (!kept) this.log.warn({ callId: call.id }, 'lease on a parked call was lost; another worker has it');
  }

  private async redacted(memberId: string, text: string): Promise<string> {
    return redactText(text, await installationSecrets(this.store.db, memberId));
  }

  private async continueOnce(): Promise<boolean> {
    const calls = await claimContinuations(this.store.db, { ...this.lease(), limit: this.settings.concurrency });
    await Promise.all(calls.map((call) => this.runContinuation(call)));
    return calls.length > 0;
  }

  private async runContinuation(call: ParkedCallRow): Promise<void> {
    const handler = this.resumers(call.continuation);
    const log = this.log.child({ callId: call.id, memberId: call.member_id, method: call.method, continuation: call.continuation });
    if (!handler) {
      log.warn('no app.resume() handler is registered for this continuation; the outcome stays stored');
      await this.settle(call, { continuation_status: 'skipped' });
      return;
    }
    const base = { callId: call.id, memberId: call.member_id, method: call.method };
    const outcome: ResumeOutcome =
      call.state === 'done'
        ? { ...base, status: 'ok', result: JSON.parse(call.result ?? 'null') }
        : call.state === 'denied'
          ? { ...base, status: 'denied' }
          : { ...base, status: 'failed', error: call.error ?? 'unknown error' };
    const attempt = call.continuation_attempts + 1;
    try {
      await withTimeout((signal) => handler(outcome, { callId: call.id, attempt, signal, log }), this.settings.handlerTimeoutMs, this.closing.signal);
      await this.settle(call, { continuation_status: 'done', continuation_attempts: attempt, continuation_error: null });
    } catch (error) {
      const message = await this.redacted(call.member_id, errorText(error));
      const last = attempt >= this.settings.maxContinuationAttempts;
      log.warn({ error: message, willRetry: !last }, 'continuation failed');
      const retryAt = new Date(Date.now() + backoffDelay(attempt, this.settings.retryDelayMs, this.settings.maxRetryDelayMs)).toISOString();
      await this.settle(call, { continuation_status: last ? 'failed' : 'pending', continuation_attempts: attempt, continuation_error: message, next_attempt_at: retryAt });
    }
  }

  /** Stops taking work; running continuations get `graceMs` to finish before their signal is aborted. */
  async close(graceMs = 10_000): Promise<void> {
    const stopped = this.poller.stop();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([stopped, grace]);
    this.closing.abort();
    await stopped;
  }
}
