/**
 * The continuation task: once a parked call has finished (done, denied or failed), runs the app's
 * `app.resume(name)` handler with its outcome, retried on failure. Continuations run at least once: a worker that
 * dies mid-run leaves the lease to run out, and another runs it again.
 */
import type { Lease } from '../store/lease.js';
import { claimContinuations, settleParkedCall } from '../store/parked-calls.js';
import type { ParkedCallRow, Store } from '../store/schema.js';
import type { Logger } from './logger.js';
import type { ParkedCallSettings } from './parked-call-settings.js';
import type { Failure, RetryPolicy } from './retry.js';
import type { FailOutcome, RunContext, Task } from './runner.js';

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

function outcomeOf(call: ParkedCallRow): ResumeOutcome {
  const base = { callId: call.id, memberId: call.member_id, method: call.method };
  if (call.state === 'done') return { ...base, status: 'ok', result: JSON.parse(call.result ?? 'null') };
  if (call.state === 'denied') return { ...base, status: 'denied' };
  return { ...base, status: 'failed', error: call.error ?? 'unknown error' };
}

export class ContinuationTask implements Task<ParkedCallRow, 'done' | 'skipped'> {
  readonly name = 'continuations';
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;

  constructor(
    private readonly store: Store,
    private readonly resumers: (name: string) => ResumeHandler | undefined,
    settings: ParkedCallSettings,
  ) {
    this.concurrency = settings.concurrency;
    this.leaseMs = settings.leaseMs;
    this.pollMs = settings.pollMs;
    this.timeoutMs = settings.handlerTimeoutMs;
    this.retry = {
      maxAttempts: settings.maxContinuationAttempts,
      baseMs: settings.retryDelayMs,
      maxMs: settings.maxRetryDelayMs,
    };
  }

  claim(lease: Lease, limit: number): Promise<ParkedCallRow[]> {
    return claimContinuations(this.store, lease, limit);
  }

  describe(call: ParkedCallRow) {
    return {
      callId: call.id,
      memberId: call.member_id,
      method: call.method,
      continuation: call.continuation,
      attempt: call.continuation_attempts,
    };
  }

  async run(call: ParkedCallRow, { signal, log }: RunContext): Promise<'done' | 'skipped'> {
    const handler = this.resumers(call.continuation);
    if (!handler) {
      log.warn('no app.resume() handler is registered for this continuation; the outcome stays stored');
      return 'skipped';
    }
    await handler(outcomeOf(call), { callId: call.id, attempt: call.continuation_attempts, signal, log });
    return 'done';
  }

  complete(call: ParkedCallRow, owner: string, status: 'done' | 'skipped'): Promise<boolean> {
    const at = new Date().toISOString();
    return settleParkedCall(this.store.db, call.id, owner, {
      continuation_status: status,
      continuation_error: null,
      updated_at: at,
    });
  }

  async fail(call: ParkedCallRow, owner: string, failure: Failure): Promise<FailOutcome> {
    const retryAt = failure.retryAt(call.continuation_attempts);
    const at = new Date().toISOString();
    const kept = await settleParkedCall(this.store.db, call.id, owner, {
      continuation_status: retryAt ? 'pending' : 'failed',
      continuation_error: failure.error,
      next_attempt_at: retryAt ?? at,
      updated_at: at,
    });
    return !kept ? 'lost' : retryAt ? 'retry' : 'failed';
  }
}
