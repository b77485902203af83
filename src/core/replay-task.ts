/**
 * The replay task: sends parked calls once the administrator granted them. The ready calls of one portal are
 * claimed together, up to one `batch` request's worth (50), and sent with the portal's current token through the
 * REST client, so replays keep to its rate limit: 1,000 calls resume with 20 requests. A call whose token was
 * refreshed before the decision meets METHOD_CONFIRM_WAITING again: it is parked anew under the current token (a
 * new prompt to the administrator), never dropped. What comes after a finished call is the continuation task's.
 *
 * A method the portal blocked (OPERATION_TIME_LIMIT, docs/protocol.md#77-limits) is not a failure of the call: the
 * claim passes over calls of a blocked method, and a call the portal refused for it (the block was news) goes back
 * to `ready` with its attempt given back, since the portal did not run it. OVERLOAD_LIMIT ends the calls failed at once.
 *
 * Exactly once without crashes: a batch's run has no timeout of its own (the REST client bounds each request), so
 * its answers are always written back by the worker that sent it, while it holds the lease.
 */
import { BATCH_LIMIT } from '../protocol/index.js';
import { accessTokenHash, type BatchAnswer, type RestClient } from '../rest/client.js';
import {
  isTransient,
  MethodConfirmDenied,
  MethodConfirmWaiting,
  OperationTimeLimit,
  restErrorFrom,
  RestError,
} from '../rest/errors.js';
import type { Lease } from '../store/lease.js';
import { claimReadyCalls, endDenied, parkAgain, settleParkedCall } from '../store/parked-calls.js';
import type { ParkedCallRow, Store } from '../store/schema.js';
import type { Logger } from './logger.js';
import type { ParkedCallSettings } from './parked-call-settings.js';
import { failureOf, type Failure, type RetryPolicy } from './retry.js';
import type { FailOutcome, Task } from './runner.js';

/** Ready calls of one portal, claimed together and sent as one batch. */
export interface ReplayBatch {
  memberId: string;
  calls: ParkedCallRow[];
}

/** The portal's answer to the batch, or the block that kept the whole batch from being sent. */
export type ReplayResult = BatchAnswer | OperationTimeLimit;

const commandKey = (call: ParkedCallRow) => `c${call.id}`;
const now = () => new Date().toISOString();

export class ReplayTask implements Task<ReplayBatch, ReplayResult> {
  readonly name = 'replays';
  /** One batch at a time per process: the portal's rate limit is the bound, not our parallelism. */
  readonly concurrency = 1;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly retry: RetryPolicy;

  constructor(
    private readonly store: Store,
    private readonly rest: RestClient,
    settings: ParkedCallSettings,
    private readonly log: Logger,
    /** Told when calls may have finished, so their continuations start without waiting for a poll. */
    private readonly onSettled: () => void = () => {},
  ) {
    this.leaseMs = settings.leaseMs;
    this.pollMs = settings.pollMs;
    this.retry = {
      maxAttempts: settings.maxReplayAttempts,
      baseMs: settings.retryDelayMs,
      maxMs: settings.maxRetryDelayMs,
    };
  }

  async claim(lease: Lease): Promise<ReplayBatch[]> {
    const calls = await claimReadyCalls(this.store, lease, BATCH_LIMIT);
    return calls.length === 0 ? [] : [{ memberId: calls[0]!.member_id, calls }];
  }

  describe(batch: ReplayBatch) {
    return { memberId: batch.memberId, callIds: batch.calls.map((call) => call.id) };
  }

  async run(batch: ReplayBatch): Promise<ReplayResult> {
    try {
      return await this.rest.batch(
        batch.memberId,
        Object.fromEntries(batch.calls.map((call) => [commandKey(call), [call.method, JSON.parse(call.params)]])),
        { whenBlocked: 'reject' }, // a lease outlives no 10-minute wait: the calls wait in the store instead
      );
    } catch (error) {
      if (error instanceof OperationTimeLimit) return error;
      throw error;
    }
  }

  /** Only no answer or the portal's limits are worth another replay; any other refusal ends the calls failed at once. */
  retryable = isTransient;

  /** Writes each call's answer; false when the lease on any of them was lost. */
  async complete(batch: ReplayBatch, owner: string, answer: ReplayResult): Promise<boolean> {
    let kept = true;
    for (const call of batch.calls) kept = (await this.completeOne(call, owner, answer)) && kept;
    this.onSettled();
    return kept;
  }

  private async completeOne(call: ParkedCallRow, owner: string, answer: ReplayResult): Promise<boolean> {
    if (answer instanceof OperationTimeLimit) return this.waitForBlock(call, owner, answer);
    const key = commandKey(call);
    const failure = answer.resultError[key];
    if (failure) {
      const error = restErrorFrom(failure.error, failure.error_description ?? '', 0);
      if (error instanceof OperationTimeLimit) return this.waitForBlock(call, owner, error);
      return this.answered(call, owner, error, answer);
    }
    if (key in answer.result)
      return this.settle(call, owner, {
        state: 'done',
        result: JSON.stringify(answer.result[key] ?? null),
        error: null,
        finished_at: now(),
      });
    const missing = new RestError('NO_RESULT', 'the batch answer had no result for this call', 0);
    return (await this.failOne(call, owner, missing)) !== 'lost';
  }

  /** The batch got no answer: every call in it failed this attempt. */
  async fail(batch: ReplayBatch, owner: string, failure: Failure): Promise<FailOutcome> {
    const outcomes = new Set<FailOutcome>();
    for (const call of batch.calls) outcomes.add(await this.failed(call, owner, failure));
    this.onSettled();
    return outcomes.has('retry') ? 'retry' : outcomes.has('failed') ? 'failed' : 'lost';
  }

  /** The method is blocked: the call stays ready, its attempt given back (the portal did not run it). */
  private async waitForBlock(call: ParkedCallRow, owner: string, error: OperationTimeLimit): Promise<boolean> {
    const { error: text } = await failureOf(this.store, this.retry, call.member_id, error);
    this.log.info(
      { callId: call.id, memberId: call.member_id, method: call.method },
      'the method is blocked for the portal (OPERATION_TIME_LIMIT): the parked call waits for the block to end',
    );
    return this.settle(call, owner, { state: 'ready', error: text, attempts: Math.max(0, call.attempts - 1) });
  }

  private async answered(call: ParkedCallRow, owner: string, error: RestError, answer: BatchAnswer): Promise<boolean> {
    const confirmation = {
      key: { memberId: call.member_id, tokenHash: accessTokenHash(answer.access), method: call.method },
      tokenExpiresAt: answer.access.expiresAt?.toISOString() ?? null,
      at: now(),
    };
    if (error instanceof MethodConfirmWaiting) {
      const kept = await parkAgain(this.store.db, call.id, owner, confirmation);
      if (kept)
        this.log.info(
          { callId: call.id, memberId: call.member_id, method: call.method },
          'parked call waits again under the current token',
        );
      return kept;
    }
    if (error instanceof MethodConfirmDenied) return endDenied(this.store.db, call.id, owner, confirmation);
    return (await this.failOne(call, owner, error)) !== 'lost';
  }

  private async failOne(call: ParkedCallRow, owner: string, error: unknown): Promise<FailOutcome> {
    const failure = await failureOf(this.store, this.retry, call.member_id, error, isTransient(error));
    this.log.warn(
      { callId: call.id, memberId: call.member_id, method: call.method, error: failure.error },
      'the portal refused a replayed call',
    );
    return this.failed(call, owner, failure);
  }

  private async failed(call: ParkedCallRow, owner: string, failure: Failure): Promise<FailOutcome> {
    const retryAt = failure.retryAt(call.attempts);
    const kept = await this.settle(
      call,
      owner,
      retryAt
        ? { state: 'ready', error: failure.error, next_attempt_at: retryAt }
        : { state: 'failed', error: failure.error, finished_at: now() },
    );
    return !kept ? 'lost' : retryAt ? 'retry' : 'failed';
  }

  /** Every write-back releases the lease; a call with no retry time is due at once (for its continuation). */
  private settle(
    call: ParkedCallRow,
    owner: string,
    changes: Parameters<typeof settleParkedCall>[3],
  ): Promise<boolean> {
    return settleParkedCall(this.store.db, call.id, owner, {
      ...changes,
      updated_at: now(),
      next_attempt_at: changes.next_attempt_at ?? now(),
    });
  }
}
