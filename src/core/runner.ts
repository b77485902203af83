/**
 * The leased-work runner: one loop for every kind of durable background work (graphile-worker's shape, our code).
 * A `Task` knows its table: how to claim due jobs and how to write back how one ended. The runner does the rest,
 * the same way for every task:
 *
 * - claim as many jobs as the task has free slots, under a lease (`leaseMs`) named for this runner and this claim;
 * - run each with an abort signal, aborted at the task's `timeoutMs` (the run then counts as failed) and at close;
 * - write back only while holding the lease: `complete` and `fail` update `where id = ? and lease_owner = owner` and
 *   answer whether a row matched, so a run whose lease ran out and was taken over changes nothing;
 * - on failure, hand the task a `Failure`: the error redacted, and a retry time by full-jitter backoff until
 *   `retry.maxAttempts` attempts have started; after the last, the task ends the job `failed`, visible;
 * - close: stop claiming, give running jobs `graceMs`, then abort their signals and wait for their write-backs.
 *
 * `attempts` means one thing for every task: the attempts started so far. A claim starts one, so a run cut short
 * by a crash counts, and a job whose worker keeps dying still ends failed.
 *
 * A new kind of work (token keep-alive, retention) is one more task, not one more loop:
 * 1. its rows carry `next_attempt_at`, `attempts`, `locked_until` and `lease_owner` (a migration in src/store/);
 * 2. in src/store/, a claim selects due, free rows through `claimable(store, ...)` (SKIP LOCKED on PostgreSQL), sets
 *    the lease and adds 1 to `attempts`; write-backs are fenced by `lease_owner` and release the lease;
 * 3. a `Task` in src/core/ wires those to the work (`run`) and the outcome (`complete`, `fail`);
 * 4. `runner.add(task)` in createApp; the runner polls it every `pollMs`, whenever work is announced, and when a job
 *    it failed is due again (a retry does not wait for the next poll).
 */
import { randomUUID } from 'node:crypto';
import { leaseFor, type Lease } from '../store/lease.js';
import type { Store } from '../store/schema.js';
import type { Logger } from './logger.js';
import { Poller } from './poller.js';
import { failureOf, withTimeout, type Failure, type RetryPolicy } from './retry.js';

export interface RunContext {
  /** Aborted at the task's timeout and when the runner closes: the work should stop. */
  signal: AbortSignal;
  log: Logger;
}

/** How a failed job was written back: to run again, ended failed, or not at all (the lease was lost). */
export type FailOutcome = 'retry' | 'failed' | 'lost';

export interface Task<J, R = void> {
  readonly name: string;
  /** Jobs of this task run at once in this process. */
  readonly concurrency: number;
  /** How long a claim holds its jobs; longer than a run can take, or another worker starts the job again. */
  readonly leaseMs: number;
  readonly pollMs: number;
  /** A run past it is abandoned and fails. Unset: the run bounds itself, and the runner always waits for it. */
  readonly timeoutMs?: number | undefined;
  readonly retry: RetryPolicy;
  /** Claims up to `limit` due jobs under `lease`, each attempt started (attempts + 1). */
  claim(lease: Lease, limit: number): Promise<J[]>;
  /** The portal the job belongs to (its secrets are cut out of errors), and what to log with it. */
  describe(job: J): { memberId: string } & Record<string, unknown>;
  run(job: J, context: RunContext): Promise<R>;
  /** Writes the result back under the lease; false when the lease was lost (nothing written). */
  complete(job: J, owner: string, result: R): Promise<boolean>;
  fail(job: J, owner: string, failure: Failure): Promise<FailOutcome>;
  /** Whether an error is worth another attempt. Default: every error is. */
  retryable?(error: unknown): boolean;
}

interface Loop {
  readonly name: string;
  start(): void;
  wake(): void;
  stop(): Promise<void>;
  drained(): Promise<void>;
}

export class Runner {
  /** Names this runner in the leases it takes (each claim adds a number of its own). */
  readonly owner = randomUUID();
  private readonly loops: Loop[] = [];
  private readonly closing = new AbortController();
  private started = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  add<J, R>(task: Task<J, R>): this {
    const loop = new TaskLoop(task, this.store, this.owner, this.closing.signal, this.log.child({ task: task.name }));
    this.loops.push(loop);
    if (this.started) loop.start();
    return this;
  }

  start(): void {
    this.started = true;
    for (const loop of this.loops) loop.start();
  }

  /** Look for work now (all tasks, or the one named); does nothing before `start`. */
  wake(task?: string): void {
    for (const loop of this.loops) if (!task || loop.name === task) loop.wake();
  }

  /** Stops claiming; running jobs get `graceMs` to finish, then their signals are aborted and their write-backs awaited. */
  async close(graceMs = 10_000): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
    const drained = Promise.all(this.loops.map((loop) => loop.drained()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'grace'>((resolve) => (timer = setTimeout(resolve, graceMs, 'grace')));
    const first = await Promise.race([drained, grace]);
    clearTimeout(timer);
    if (first === 'grace') {
      this.closing.abort();
      await drained;
    }
  }
}

class TaskLoop<J, R> implements Loop {
  private running = 0;
  private claims = 0;
  private readonly idle = new Set<() => void>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly poller: Poller;

  constructor(
    private readonly task: Task<J, R>,
    private readonly store: Store,
    private readonly owner: string,
    private readonly closing: AbortSignal,
    private readonly log: Logger,
  ) {
    this.poller = new Poller(
      () => this.claimWhileRoom(),
      task.pollMs,
      (error) => log.error({ err: error }, 'could not claim jobs'),
    );
  }

  get name(): string {
    return this.task.name;
  }

  start = () => this.poller.start();
  wake = () => this.poller.wake();
  stop = () => {
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    return this.poller.stop();
  };

  /** Wakes the loop when a job it failed is due again (the poll still finds it should this process be busy). */
  private wakeAt(retryAt: string): void {
    if (!this.poller.active) return;
    const timer = setTimeout(
      () => {
        this.retryTimers.delete(timer);
        this.wake();
      },
      Math.max(0, Date.parse(retryAt) - Date.now()) + 1,
    );
    timer.unref();
    this.retryTimers.add(timer);
  }

  drained(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.add(resolve));
  }

  private async claimWhileRoom(): Promise<void> {
    while (this.poller.active && this.running < this.task.concurrency) {
      // Each claim holds its jobs under a name of its own: if this runner takes back a job whose lease ran out under
      // an earlier run of its own, that earlier run's write-back must match nothing, as another worker's would.
      const lease = leaseFor(`${this.owner}/${++this.claims}`, this.task.leaseMs);
      const jobs = await this.task.claim(lease, this.task.concurrency - this.running);
      if (jobs.length === 0) return;
      // Claimed jobs are ours until the lease runs out: we run them even if the runner is closing meanwhile.
      for (const job of jobs) {
        this.running++;
        void this.perform(job, lease.owner).finally(() => {
          if (--this.running === 0) {
            for (const resolve of this.idle) resolve();
            this.idle.clear();
          }
          this.wake();
        });
      }
    }
  }

  private async perform(job: J, owner: string): Promise<void> {
    const about = this.task.describe(job);
    const log = this.log.child(about);
    let outcome: { ok: true; result: R } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, result: await this.runBounded(job, log) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    try {
      if (outcome.ok) {
        if (!(await this.task.complete(job, owner, outcome.result)))
          log.warn('the lease was lost before the result was written; another worker has the job');
        return;
      }
      const retryable = this.task.retryable?.(outcome.error) ?? true;
      const failure = await failureOf(this.store, this.task.retry, about.memberId, outcome.error, retryable);
      // The task decides whether and when the job runs again; the time it asked the failure for is the one to wake at.
      let retryAt: string | undefined;
      const written = await this.task.fail(job, owner, {
        ...failure,
        retryAt: (attempt) => (retryAt = failure.retryAt(attempt)),
      });
      if (written === 'retry' && retryAt) this.wakeAt(retryAt);
      if (written === 'lost')
        log.warn({ error: failure.error }, 'the job failed after its lease was lost; another worker has it');
      else
        log.warn(
          { error: failure.error, willRetry: written === 'retry' },
          written === 'retry'
            ? 'the job failed; it will run again'
            : 'the job failed its last attempt and is left failed',
        );
    } catch (error) {
      // Nothing was written back (the database away): the lease runs out and a worker starts the job again.
      log.error({ err: error }, 'could not write back how the job ended');
    }
  }

  private runBounded(job: J, log: Logger): Promise<R> {
    const { timeoutMs } = this.task;
    if (timeoutMs === undefined) return this.task.run(job, { signal: this.closing, log });
    return withTimeout((signal) => this.task.run(job, { signal, log }), timeoutMs, this.closing);
  }
}
