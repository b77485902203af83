/**
 * The offline reconciler: a runner task, one job per portal (its `offline_sync` row, claimed under a lease so one
 * instance reconciles a portal at a time). A run:
 *
 * 1. finishes the batch a crashed run left: `stored` is acknowledged; `reserved` is read again by its process_id
 *    (event.offline.get returns the same records) and stored; records stored before are not stored twice;
 * 2. once per process start, looks at the queue with event.offline.list: its backlog, and batches reserved under a
 *    process_id no run remembers (a crash between the portal's answer and remembering it) are read again;
 * 3. reserves batches (event.offline.get, clear=0), remembers each process_id, stores the records and the batch
 *    state in one transaction, marks failed records (event.offline.error) and acknowledges (event.offline.clear),
 *    until the queue is empty or its share of the REST budget is spent.
 *
 * Where the plan refuses reservation (WRONG_LICENSE for clear=0), reading deletes the records at once: a crash
 * between reading a batch and committing it loses that batch. The reconciler then reads with clear=1, commits each
 * batch before the next read, and says so in the log.
 */
import { offlineBatchSchema, offlineListEntrySchema, type OfflineBatch } from '../protocol/index.js';
import type { RestClient } from '../rest/client.js';
import { isWrongLicense } from '../rest/errors.js';
import type { Params, RestSuccess } from '../rest/transport.js';
import type { Lease } from '../store/lease.js';
import {
  claimDueOfflineSync,
  completeOfflineSync,
  failOfflineSync,
  forgetBatch,
  rememberBatch,
  setOfflineMode,
} from '../store/offline-sync.js';
import type { OfflineSyncRow, Store } from '../store/schema.js';
import type { Logger } from './logger.js';
import { LeaseLostError, storeOfflineBatch, type StoredBatch } from './offline-batch.js';
import type { OfflineSettings, RestBudget } from './offline-settings.js';
import type { Failure, RetryPolicy } from './retry.js';
import type { FailOutcome, RunContext, Task } from './runner.js';

export interface Reconciliation {
  /** Records waiting in the queue after the run (null: not known, the budget ran out first). */
  backlog: number | null;
  /** When the portal is due again (the timer, or soon when the budget ran out). */
  nextAt: string;
  totals: Omit<StoredBatch, 'failedMessageIds'>;
}

type Call = (method: string, params: Params) => Promise<RestSuccess>;

export type ReconcileOutcome = { ok: boolean; totals?: Reconciliation['totals'] };
export type ReconcileObserver = (outcome: ReconcileOutcome) => void;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** The run stops here when its budget would make it wait too long; the portal is due again when it has refilled. */
class BudgetSpent {
  constructor(readonly waitMs: number) {}
}

export class OfflineTask implements Task<OfflineSyncRow, Reconciliation> {
  readonly name = 'offline';
  readonly concurrency = 2;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly retry: RetryPolicy;
  /** Portals whose queue this process has looked at with event.offline.list (once per start). */
  private readonly listed = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly rest: RestClient,
    private readonly budget: RestBudget,
    private readonly settings: OfflineSettings & { intervalMs: number },
    private readonly handled: (event: string) => boolean,
    private readonly log: Logger,
    private readonly observe: ReconcileObserver = () => {},
  ) {
    this.leaseMs = settings.leaseMs;
    this.pollMs = settings.pollMs;
    this.retry = {
      maxAttempts: Number.POSITIVE_INFINITY,
      baseMs: settings.retryDelayMs,
      maxMs: settings.maxRetryDelayMs,
    };
  }

  claim(lease: Lease, limit: number): Promise<OfflineSyncRow[]> {
    return claimDueOfflineSync(this.store, lease, limit);
  }

  describe(row: OfflineSyncRow) {
    return { memberId: row.member_id, attempt: row.attempts };
  }

  async run(row: OfflineSyncRow, { signal }: RunContext): Promise<Reconciliation> {
    const totals = { recovered: 0, matched: 0, failed: 0 };
    const add = (batch: StoredBatch) => {
      totals.recovered += batch.recovered;
      totals.matched += batch.matched;
      totals.failed += batch.failed;
    };
    const call: Call = async (method, params) => {
      const wait = this.budget.reserve(row.member_id, Date.now());
      if (wait > this.settings.maxBudgetWaitMs) throw new BudgetSpent(wait);
      if (wait > 0) await sleep(wait, signal);
      const connector = row.auth_connector && method !== 'event.offline.clear' && method !== 'event.offline.error';
      const answer = await this.rest.request(
        row.member_id,
        method,
        connector ? { ...params, auth_connector: row.auth_connector! } : params,
      );
      return answer.body;
    };
    const read = async (params: Params): Promise<OfflineBatch> =>
      offlineBatchSchema.parse((await call('event.offline.get', { limit: this.settings.batchSize, ...params })).result);
    let backlog: number | null = null;
    try {
      if (row.process_id) {
        const batch = row.batch_state === 'stored' ? undefined : await read({ process_id: row.process_id, clear: 0 });
        const stored = batch ? await this.keep(row, batch, row.process_id) : undefined;
        if (stored) add(stored);
        const failedIds = stored?.failedMessageIds ?? (JSON.parse(row.failed_message_ids ?? '[]') as string[]);
        await this.acknowledge(row, row.process_id, failedIds, call);
      }
      if (!this.listed.has(row.member_id)) {
        backlog = await this.lookAtQueue(row, call, read, add);
        this.listed.add(row.member_id);
      }
      let mode = row.mode;
      for (;;) {
        if (signal.aborted) return this.outcome(null, Date.now(), totals);
        let batch: OfflineBatch;
        try {
          batch = await read({ clear: mode === 'clear' ? 1 : 0 });
        } catch (error) {
          if (mode === 'clear' || !isWrongLicense(error)) throw error;
          mode = 'clear';
          await setOfflineMode(this.store.db, row.member_id, row.lease_owner!, mode, new Date().toISOString());
          this.log.warn(
            'this portal refuses to reserve offline batches (clear=0: WRONG_LICENSE, no rest_offline_extended): ' +
              'records are deleted as they are read, so a crash between reading a batch and storing it loses that batch',
          );
          continue;
        }
        if (mode === null && batch.process_id) {
          mode = 'reserve';
          await setOfflineMode(this.store.db, row.member_id, row.lease_owner!, mode, new Date().toISOString());
        }
        if (batch.events.length === 0) return this.outcome(0, Date.now() + this.settings.intervalMs, totals);
        if (batch.process_id)
          await rememberBatch(
            this.store.db,
            row.member_id,
            row.lease_owner!,
            batch.process_id,
            new Date().toISOString(),
          );
        const stored = await this.keep(row, batch, batch.process_id);
        add(stored);
        if (batch.process_id) await this.acknowledge(row, batch.process_id, stored.failedMessageIds, call);
        else if (stored.failed > 0)
          this.log.warn(
            { failed: stored.failed },
            'offline records stored as failed; without reservation they cannot be marked in the queue',
          );
        if (batch.events.length < this.settings.batchSize)
          return this.outcome(0, Date.now() + this.settings.intervalMs, totals);
      }
    } catch (error) {
      if (!(error instanceof BudgetSpent)) throw error;
      return this.outcome(backlog, Date.now() + error.waitMs, totals);
    }
  }

  private outcome(backlog: number | null, nextMs: number, totals: Reconciliation['totals']): Reconciliation {
    return { backlog, nextAt: new Date(nextMs).toISOString(), totals };
  }

  private keep(row: OfflineSyncRow, batch: OfflineBatch, processId: string | null): Promise<StoredBatch> {
    return storeOfflineBatch(
      this.store,
      { memberId: row.member_id, owner: row.lease_owner!, processId, records: batch.events },
      this.handled,
    );
  }

  /** Failed records marked first (error releases them from the batch), then the rest of the batch cleared. */
  private async acknowledge(row: OfflineSyncRow, processId: string, failedIds: string[], call: Call): Promise<void> {
    if (failedIds.length > 0) await call('event.offline.error', { process_id: processId, message_id: failedIds });
    await call('event.offline.clear', { process_id: processId });
    await forgetBatch(this.store.db, row.member_id, row.lease_owner!, new Date().toISOString());
  }

  /**
   * One event.offline.list: the backlog (its `total`), and batches reserved under a process_id this portal's row
   * does not hold (reserved ones sort first), each read again by its process_id, stored and acknowledged.
   */
  private async lookAtQueue(
    row: OfflineSyncRow,
    call: Call,
    read: (params: Params) => Promise<OfflineBatch>,
    add: (batch: StoredBatch) => void,
  ): Promise<number | null> {
    const answer = await call('event.offline.list', { filter: { ERROR: 0 }, order: { PROCESS_ID: 'DESC' } });
    const entries = Array.isArray(answer.result) ? answer.result : [];
    const orphans = new Set<string>();
    for (const raw of entries) {
      const entry = offlineListEntrySchema.safeParse(raw);
      if (entry.success && entry.data.PROCESS_ID) orphans.add(entry.data.PROCESS_ID);
    }
    for (const processId of orphans) {
      this.log.warn('an offline batch reserved by a run that did not finish is read again');
      const batch = await read({ process_id: processId, clear: 0 });
      await rememberBatch(this.store.db, row.member_id, row.lease_owner!, processId, new Date().toISOString());
      const stored = await this.keep(row, batch, processId);
      add(stored);
      await this.acknowledge(row, processId, stored.failedMessageIds, call);
    }
    return typeof answer.total === 'number' ? answer.total : entries.length;
  }

  async complete(row: OfflineSyncRow, owner: string, result: Reconciliation): Promise<boolean> {
    const kept = await completeOfflineSync(this.store.db, row, owner, {
      nextAt: result.nextAt,
      at: new Date().toISOString(),
      backlog: result.backlog,
    });
    if (kept) this.observe({ ok: true, totals: result.totals });
    return kept;
  }

  async fail(row: OfflineSyncRow, owner: string, failure: Failure): Promise<FailOutcome> {
    const retryAt = failure.retryAt(row.attempts) ?? new Date(Date.now() + this.settings.maxRetryDelayMs).toISOString();
    const kept = await failOfflineSync(this.store.db, row.member_id, owner, {
      error: failure.error,
      retryAt,
      at: new Date().toISOString(),
    });
    if (!kept) return 'lost';
    this.observe({ ok: false });
    return 'retry';
  }

  retryable = (error: unknown) => !(error instanceof LeaseLostError);
}
