/** The leased-work runner: what every task gets from it (leases, retries, failure, closing), pinned on one store. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { decodeBody } from '../../src/protocol/index.js';
import * as bodies from '../fixtures/bodies.js';
import { InboxTask, defaultInboxSettings, type EventHandler } from '../../src/core/inbox-task.js';
import { backoffDelay, type Failure } from '../../src/core/retry.js';
import { Runner, type FailOutcome, type Task } from '../../src/core/runner.js';
import { getInboxEvent, insertInboxEvent } from '../../src/store/inbox.js';
import type { Lease } from '../../src/store/lease.js';
import type { Store } from '../../src/store/schema.js';
import { sqliteStore } from '../../src/store/sqlite.js';
import { eventually } from '../helpers/app.js';

const silent = createLogger({ level: process.env.RUNNER_LOG ?? 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Jobs in memory: enough to watch what the runner asks of a task. */
interface Job {
  id: number;
  attempts: number;
  state: 'due' | 'held' | 'done' | 'failed';
  error?: string;
}

function memoryTask(
  jobs: Job[],
  work: (job: Job, signal: AbortSignal) => Promise<void>,
  overrides: Partial<Task<Job>> = {},
) {
  const seen = { maxRunning: 0, running: 0 };
  const task: Task<Job> = {
    name: 'memory',
    concurrency: 2,
    leaseMs: 60_000,
    pollMs: 10,
    retry: { maxAttempts: 3, baseMs: 1, maxMs: 5 },
    async claim(_lease: Lease, limit: number) {
      const due = jobs.filter((job) => job.state === 'due').slice(0, limit);
      for (const job of due) Object.assign(job, { state: 'held', attempts: job.attempts + 1 });
      return due;
    },
    describe: (job) => ({ memberId: 'm', jobId: job.id }),
    async run(job, { signal }) {
      seen.maxRunning = Math.max(seen.maxRunning, ++seen.running);
      try {
        await work(job, signal);
      } finally {
        seen.running--;
      }
    },
    async complete(job) {
      job.state = 'done';
      return true;
    },
    async fail(job, _owner, failure: Failure): Promise<FailOutcome> {
      const retryAt = failure.retryAt(job.attempts);
      Object.assign(job, { state: retryAt ? 'due' : 'failed', error: failure.error });
      return retryAt ? 'retry' : 'failed';
    },
    ...overrides,
  };
  return { task, seen };
}

describe('the leased-work runner', () => {
  let store: Store;
  before(async () => {
    store = sqliteStore(':memory:');
    await store.migrate();
  });
  after(() => store.close());

  it('backs off with full jitter: a random delay below base × 2^(attempt−1), capped', () => {
    assert.equal(
      backoffDelay(1, 1000, 60_000, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(1, 1000, 60_000, () => 0.999),
      999,
    );
    assert.equal(
      backoffDelay(3, 1000, 60_000, () => 0.5),
      2000,
    );
    assert.equal(
      backoffDelay(30, 1000, 60_000, () => 0.5),
      30_000,
      'capped at maxMs',
    );
  });

  it('runs no more jobs at once than the task allows, and retries a failing one until its last attempt', async () => {
    const jobs: Job[] = Array.from({ length: 6 }, (_, id) => ({ id, attempts: 0, state: 'due' }));
    const { task, seen } = memoryTask(jobs, async (job) => {
      await sleep(5);
      if (job.id === 0) throw new Error('always fails');
    });
    const runner = new Runner(store, silent).add(task);
    runner.start();
    await eventually(() => jobs.every((job) => job.state === 'done' || job.state === 'failed'));
    await runner.close();
    assert.equal(seen.maxRunning, 2);
    assert.deepEqual(
      jobs.map((job) => job.state),
      ['failed', 'done', 'done', 'done', 'done', 'done'],
    );
    assert.equal(jobs[0]?.attempts, 3, 'attempts counts the attempts started, up to maxAttempts');
    assert.equal(jobs[0]?.error, 'Error: always fails');
  });

  it('ends a job failed at once when its error is not worth retrying', async () => {
    const jobs: Job[] = [{ id: 1, attempts: 0, state: 'due' }];
    const { task } = memoryTask(jobs, async () => Promise.reject(new TypeError('bad request')), {
      retryable: (error) => !(error instanceof TypeError),
    });
    const runner = new Runner(store, silent).add(task);
    runner.start();
    await eventually(() => jobs[0]?.state === 'failed');
    await runner.close();
    assert.equal(jobs[0]?.attempts, 1);
  });

  it('runs a failed job again when its retry is due, not at the next poll', async () => {
    const jobs: (Job & { dueAt?: number })[] = [{ id: 1, attempts: 0, state: 'due' }];
    const { task } = memoryTask(
      jobs,
      async (job) => {
        if (job.attempts === 1) throw new Error('fails once');
      },
      {
        pollMs: 600_000,
        retry: { maxAttempts: 3, baseMs: 300, maxMs: 300 },
        async claim(_lease, limit) {
          const due = jobs.filter((job) => job.state === 'due' && (job.dueAt ?? 0) <= Date.now()).slice(0, limit);
          for (const job of due) Object.assign(job, { state: 'held', attempts: job.attempts + 1 });
          return due;
        },
        async fail(job, _owner, failure) {
          const retryAt = failure.retryAt(job.attempts);
          Object.assign(job, { state: 'due', dueAt: Date.parse(retryAt!) });
          return 'retry';
        },
      },
    );
    const runner = new Runner(store, silent).add(task);
    runner.start();
    await eventually(() => jobs[0]?.state === 'done', 5_000);
    await runner.close();
    assert.equal(jobs[0]?.attempts, 2);
  });

  it('fails a run past the task timeout, with its signal aborted', async () => {
    const jobs: Job[] = [{ id: 1, attempts: 0, state: 'due' }];
    let aborted = false;
    const { task } = memoryTask(
      jobs,
      (_job, signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
      {
        timeoutMs: 20,
        retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 },
      },
    );
    const runner = new Runner(store, silent).add(task);
    runner.start();
    await eventually(() => jobs[0]?.state === 'failed');
    await runner.close();
    assert.equal(aborted, true);
    assert.match(jobs[0]?.error ?? '', /ran past 20 ms/);
  });

  it('on close, lets running jobs finish within the grace period, then aborts them and waits for their write-back', async () => {
    const jobs: Job[] = [
      { id: 1, attempts: 0, state: 'due' },
      { id: 2, attempts: 0, state: 'due' },
    ];
    const { task } = memoryTask(jobs, async (job, signal) => {
      if (job.id === 1) {
        await sleep(20);
        return;
      }
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      throw new Error('stopped by close');
    });
    const runner = new Runner(store, silent).add(task);
    runner.start();
    await eventually(() => jobs.every((job) => job.state === 'held'));
    const started = Date.now();
    await runner.close(100);
    assert.ok(Date.now() - started >= 90, 'the grace period was given');
    assert.equal(jobs[0]?.state, 'done', 'finished within the grace period');
    assert.equal(jobs[1]?.state, 'due', 'aborted at the end of the grace period, written back to run again');
  });

  it('an inbox worker whose lease was taken over writes nothing; the new holder finishes the event', async () => {
    const at = new Date().toISOString();
    const { id } = await insertInboxEvent(store.db, {
      body_hash: 'lease-lost',
      member_id: 'm',
      event: 'ONAPPTEST',
      ts: at,
      received_at: at,
      payload: JSON.stringify(decodeBody('form', bodies.dealAdd)),
      application_token_hash: 'h',
      status: 'pending',
      attempts: 0,
      next_attempt_at: at,
    });
    let runs = 0;
    let takenOver = () => {};
    const heirRuns = new Promise<void>((resolve) => (takenOver = resolve));
    const slowFirst: EventHandler = async () => {
      if (++runs > 1) return takenOver();
      // Outlives its lease until another worker holds the event, then fails: were its write-back accepted, the
      // event would run again.
      await heirRuns;
      throw new Error('too late');
    };
    const settings = { ...defaultInboxSettings, leaseMs: 100, pollMs: 20 };
    const slow = new Runner(store, silent).add(new InboxTask(store, () => [slowFirst], settings));
    slow.start();
    await eventually(() => runs === 1);
    const heir = new Runner(store, silent).add(new InboxTask(store, () => [slowFirst], settings));
    heir.start();
    await eventually(() => runs === 2, 2000);
    await eventually(async () => (await getInboxEvent(store.db, id))?.status === 'done');
    await Promise.all([slow.close(), heir.close()]); // the first run has ended and tried to write back
    const row = await getInboxEvent(store.db, id);
    assert.equal(row?.attempts, 2);
    assert.equal(row?.lease_owner, null);
    assert.equal(row?.last_error, null, "the lost run's failure was not written");
    assert.equal(runs, 2, 'the first worker did not release the event for a third run');
  });
});
