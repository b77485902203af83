/**
 * A job that runs every so often (retention) as a task on the leased-work runner: its row in `periodic_jobs` is
 * claimed under a lease, so with several instances on one database one of them runs it at a time; after each run the
 * row is due again `everyMs` later (a failed run: after a backoff, at the latest at the next period).
 */
import type { Lease } from '../store/lease.js';
import { claimPeriodicJob, ensurePeriodicJob, finishPeriodicRun } from '../store/periodic-jobs.js';
import type { PeriodicJobRow, Store } from '../store/schema.js';
import type { Failure, RetryPolicy } from './retry.js';
import type { FailOutcome, RunContext, Task } from './runner.js';

export interface PeriodicJob {
  readonly name: string;
  /** From the end of one run to the next. */
  readonly everyMs: number;
  /** A run: answers one line saying what it did (kept in `periodic_jobs.last_result`). */
  run(context: RunContext): Promise<string>;
}

/** How often an instance looks whether the job is due, at most. */
const MAX_POLL_MS = 60_000;

export class PeriodicTask implements Task<PeriodicJobRow, string> {
  readonly name: string;
  readonly concurrency = 1;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly retry: RetryPolicy;
  private ensured: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly job: PeriodicJob,
    private readonly clock: () => number = Date.now,
  ) {
    this.name = job.name;
    this.pollMs = Math.min(job.everyMs, MAX_POLL_MS);
    // A run that outlives its lease is taken over; retention's batches are short, so ten minutes is plenty.
    this.leaseMs = 10 * 60_000;
    this.retry = {
      maxAttempts: Number.POSITIVE_INFINITY,
      baseMs: Math.min(job.everyMs, MAX_POLL_MS),
      maxMs: job.everyMs,
    };
  }

  async claim(lease: Lease): Promise<PeriodicJobRow[]> {
    // The first run is due at once: the row is made by whichever instance looks first.
    this.ensured ??= ensurePeriodicJob(this.store.db, this.name, lease.now).catch((error: unknown) => {
      this.ensured = undefined;
      throw error;
    });
    await this.ensured;
    const row = await claimPeriodicJob(this.store, this.name, lease);
    return row ? [row] : [];
  }

  describe(row: PeriodicJobRow) {
    return { memberId: '', job: row.name, attempt: row.attempts };
  }

  run(_row: PeriodicJobRow, context: RunContext): Promise<string> {
    return this.job.run(context);
  }

  private later = (ms: number) => new Date(this.clock() + ms).toISOString();

  complete(_row: PeriodicJobRow, owner: string, result: string): Promise<boolean> {
    const at = this.later(0);
    return finishPeriodicRun(this.store.db, this.name, owner, { at, nextAt: this.later(this.job.everyMs), result });
  }

  async fail(row: PeriodicJobRow, owner: string, failure: Failure): Promise<FailOutcome> {
    const nextAt = failure.retryAt(row.attempts) ?? this.later(this.job.everyMs);
    const written = await finishPeriodicRun(this.store.db, this.name, owner, {
      at: this.later(0),
      nextAt,
      error: failure.error,
    });
    return written ? 'retry' : 'lost';
  }
}
