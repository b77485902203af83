/**
 * Rows of the periodic jobs (retention): one per job, leased by one instance at a time like any job of the runner
 * (src/store/lease.ts), and due again `next_attempt_at` after each run.
 */
import { claimable, type Lease } from './lease.js';
import type { Db, PeriodicJobRow, Store } from './schema.js';

/** Adds the job's row, first due at `firstAt`, unless it exists. */
export async function ensurePeriodicJob(db: Db, name: string, firstAt: string): Promise<void> {
  await db
    .insertInto('periodic_jobs')
    .values({ name, next_attempt_at: firstAt, attempts: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/** The job's row under `lease` if it is due and free (each claim starts an attempt), else undefined. */
export async function claimPeriodicJob(store: Store, name: string, lease: Lease): Promise<PeriodicJobRow | undefined> {
  const due = claimable(
    store,
    store.db
      .selectFrom('periodic_jobs')
      .select('name')
      .where('name', '=', name)
      .where('next_attempt_at', '<=', lease.now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', lease.now)])),
  );
  return store.db
    .updateTable('periodic_jobs')
    .set((eb) => ({ locked_until: lease.until, lease_owner: lease.owner, attempts: eb('attempts', '+', 1) }))
    .where('name', 'in', due)
    .returningAll()
    .executeTakeFirst();
}

/** How a run ended: its result line or its error, and when the job is due again. False when the lease was lost. */
export async function finishPeriodicRun(
  db: Db,
  name: string,
  owner: string,
  run: { at: string; nextAt: string } & ({ result: string } | { error: string }),
): Promise<boolean> {
  const ended =
    'result' in run
      ? { last_run_at: run.at, last_result: run.result, last_error: null, attempts: 0 }
      : { last_error: run.error };
  const written = await db
    .updateTable('periodic_jobs')
    .set({ ...ended, next_attempt_at: run.nextAt, locked_until: null, lease_owner: null })
    .where('name', '=', name)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(written.numUpdatedRows) > 0;
}

export function getPeriodicJob(db: Db, name: string): Promise<PeriodicJobRow | undefined> {
  return db.selectFrom('periodic_jobs').selectAll().where('name', '=', name).executeTakeFirst();
}
