/**
 * Read-only figures for the dashboard, /metrics and /readyz: counts by state, the inbox's backlog, events per
 * minute, and the inbox page by page. Nothing here writes; the runner's own queries stay in inbox.ts and
 * parked-calls.ts.
 */
import { sql } from 'kysely';
import type { Db, InboxRow, InboxStatus } from './schema.js';

export interface MinuteCount {
  /** `YYYY-MM-DDTHH:MM`, UTC: the first 16 characters of the ISO time. */
  minute: string;
  event: string;
  count: number;
}

/** Events received since `since` (ISO), counted per minute and event. */
export async function eventsPerMinute(db: Db, since: string): Promise<MinuteCount[]> {
  const minute = sql<string>`substr(received_at, 1, 16)`;
  const rows = await db
    .selectFrom('inbox')
    .select([minute.as('minute'), 'event', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('received_at', '>=', since)
    .groupBy([minute, 'event'])
    .orderBy('minute')
    .execute();
  return rows.map((r) => ({ minute: r.minute, event: r.event, count: Number(r.count) }));
}

export interface Backlog {
  /** Events whose handlers have not finished: pending or processing. */
  waiting: number;
  /** When the oldest of them was received (ISO), or null. */
  oldestReceivedAt: string | null;
}

export async function inboxBacklog(db: Db): Promise<Backlog> {
  const row = await db
    .selectFrom('inbox')
    .select((eb) => [eb.fn.countAll<number | string>().as('waiting'), eb.fn.min('received_at').as('oldest')])
    .where('status', 'in', ['pending', 'processing'])
    .executeTakeFirst();
  return { waiting: Number(row?.waiting ?? 0), oldestReceivedAt: (row?.oldest as string | null | undefined) ?? null };
}

async function countBy<T extends 'parked_calls' | 'installations' | 'inbox'>(
  db: Db,
  table: T,
  column: 'state' | 'status',
): Promise<Record<string, number>> {
  const rows = await sql<{
    key: string;
    count: number | string;
  }>`select ${sql.ref(column)} as key, count(*) as count from ${sql.table(table)} group by ${sql.ref(column)}`.execute(
    db,
  );
  return Object.fromEntries(rows.rows.map((r) => [r.key, Number(r.count)]));
}

export const parkedCallsByState = (db: Db) => countBy(db, 'parked_calls', 'state');
export const installationsByStatus = (db: Db) => countBy(db, 'installations', 'status');
export const inboxByStatus = (db: Db) => countBy(db, 'inbox', 'status');

export interface InboxFilter {
  event?: string | undefined;
  memberId?: string | undefined;
  status?: InboxStatus | undefined;
}

function filtered(db: Db, filter: InboxFilter) {
  let q = db.selectFrom('inbox');
  if (filter.event) q = q.where('event', '=', filter.event.toUpperCase());
  if (filter.memberId) q = q.where('member_id', '=', filter.memberId);
  if (filter.status) q = q.where('status', '=', filter.status);
  return q;
}

/** One page of the inbox, newest first: the entries older than `beforeId` (or the newest ones). */
export function inboxPage(
  db: Db,
  filter: InboxFilter & { beforeId?: number | undefined; limit: number },
): Promise<InboxRow[]> {
  let q = filtered(db, filter).selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
  return q.execute();
}

/** Ids of the failed events that match a filter, oldest first, for replaying them all. */
export async function failedInboxIds(db: Db, filter: Omit<InboxFilter, 'status'>, limit = 10_000): Promise<number[]> {
  const rows = await filtered(db, { ...filter, status: 'failed' })
    .select('id')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.id));
}

/** The newest migration applied; throws when the database cannot be reached or was never migrated. */
export async function latestMigration(db: Db): Promise<string | undefined> {
  const { rows } = await sql<{
    name: string;
  }>`select name from b24_events_migrations order by name desc limit 1`.execute(db);
  return rows[0]?.name;
}

export interface OfflineSummary {
  backlog: number;
  oldestReconciledAt: string | null;
  /** Portals whose last run failed: an error after the last reconciliation. */
  failing: number;
}

export async function offlineSummary(db: Db): Promise<OfflineSummary> {
  const rows = await db.selectFrom('offline_sync').select(['backlog', 'last_reconciled_at', 'last_error_at']).execute();
  let backlog = 0;
  let oldest: string | null = null;
  let failing = 0;
  for (const row of rows) {
    backlog += Number(row.backlog ?? 0);
    const at = row.last_reconciled_at ?? '';
    if (oldest === null || at < oldest) oldest = at;
    if (row.last_error_at && (!row.last_reconciled_at || row.last_error_at > row.last_reconciled_at)) failing++;
  }
  return { backlog, oldestReconciledAt: oldest || null, failing };
}
