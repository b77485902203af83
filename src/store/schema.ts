/** Table types shared by every adapter. Times are ISO-8601 UTC strings, which sort as text on both engines. */
import type { Generated, Kysely, Selectable, Transaction } from 'kysely';
import type { RateLimit } from '../protocol/leaky-bucket.js';

/**
 * `needs_reinstall`: the OAuth server refused the stored refresh token (invalid_grant, wrong_client), so the app has
 * no access to the portal until its administrator installs the app again; events are still accepted.
 */
export type InstallationStatus = 'installing' | 'active' | 'needs_reinstall' | 'uninstalled';
export type InboxStatus = 'pending' | 'processing' | 'done' | 'failed';
export type PermissionState = 'waiting' | 'granted' | 'denied';

export interface InstallationsTable {
  member_id: string;
  domain: string;
  client_endpoint: string | null;
  server_endpoint: string | null;
  application_token: string;
  access_token: string | null;
  refresh_token: string | null;
  access_expires_at: string | null;
  scope: string | null;
  status: InstallationStatus;
  /** As the portal sent it: a short string ("3", "1.0.0"). */
  version: string | null;
  installed_at: string;
  updated_at: string;
  uninstalled_at: string | null;
  /** The region's OAuth server, chosen from the allowlist by the origin of server_endpoint; null on old rows. */
  oauth_server: string | null;
  /** When the stored pair last came from the OAuth server (install, update, refresh): the token keep-alive's clock. */
  tokens_refreshed_at: string | null;
  /** Keep-alive refreshes started since the last one that worked (a claim starts one). */
  refresh_attempts: Generated<number>;
  /** After a failed keep-alive refresh: not again before this. */
  refresh_retry_at: string | null;
  /** Why the last refresh failed (redacted), until one works; for needs_reinstall, why the portal must reinstall. */
  refresh_error: string | null;
  /**
   * The lease on the refresh token (a refresh token works once): the keep-alive task and a call's on-demand refresh
   * both take it before spending the token, so one refresh at a time per portal across every instance.
   */
  locked_until: string | null;
  lease_owner: string | null;
  /** The portal's request limit (its plan: 5/250 Enterprise, 2/50 others); both null: the app's `rest.rateLimit`. */
  rate_per_second: number | null;
  rate_burst: number | null;
}

export interface InboxTable {
  id: Generated<number>;
  /** sha256 of the whole delivery (envelope and auth): equal bodies merge only while the first is unhandled. */
  body_hash: string;
  member_id: string;
  event: string;
  ts: string;
  received_at: string;
  payload: string;
  /** sha256 of the application_token the event came with: a repeated delivery must carry the same one. */
  application_token_hash: string;
  status: InboxStatus;
  /**
   * Runs of the handlers started so far (a claim starts one; a run cut short by a crash counts). 0: not started, so a
   * new identical delivery may join it. `inbox replay` puts a finished event back at 0.
   */
  attempts: number;
  next_attempt_at: string;
  /** While `processing`: the lease. Another worker may take the event over once `locked_until` has passed. */
  locked_until: string | null;
  /** The worker holding the lease; every write-back names it, so a worker that lost the lease changes nothing. */
  lease_owner: string | null;
  last_error: string | null;
  finished_at: string | null;
  /** The channel that brought the event: an online delivery, or the portal's offline queue. */
  via: Generated<EventChannel>;
  /** sha256 of the event name and its data (the object's ids), for business events: finds "this object's last online event". */
  object_key: string | null;
  /** For events read from the offline queue: `member_id/record ID`, unique, so a re-read batch stores nothing twice. */
  offline_key: string | null;
}

export type EventChannel = 'online' | 'offline';
/** `reserve`: event.offline.get with clear=0 (the plan has rest_offline_extended); `clear`: reading deletes. */
export type OfflineMode = 'reserve' | 'clear';
/** A batch the portal holds for us: `reserved` (not yet stored), `stored` (in the inbox, not yet acknowledged). */
export type OfflineBatchState = 'reserved' | 'stored';

/** One row per portal whose offline queue the reconciler drains: its lease, its reserved batch, and what it did. */
export interface OfflineSyncTable {
  member_id: string;
  mode: OfflineMode | null;
  auth_connector: string | null;
  next_attempt_at: string;
  attempts: Generated<number>;
  locked_until: string | null;
  lease_owner: string | null;
  process_id: string | null;
  batch_state: OfflineBatchState | null;
  /** JSON list of the MESSAGE_IDs of the stored batch that failed, still to be marked with event.offline.error. */
  failed_message_ids: string | null;
  last_reconciled_at: string | null;
  /** Records whose online delivery was lost: their handlers ran from the offline queue. */
  recovered: Generated<number>;
  /** Records that matched an event already received online: not run again. */
  matched: Generated<number>;
  /** Records stored as failed (unknown event, no ids) and marked with event.offline.error. */
  failed: Generated<number>;
  /** Records waiting in the portal's queue when last looked (null: not known). */
  backlog: number | null;
  /** Reconciliations that failed (the portal answered an error or was away). */
  errors: Generated<number>;
  last_error: string | null;
  last_error_at: string | null;
  updated_at: string;
}

export interface PermissionsTable {
  member_id: string;
  token_hash: string;
  method: string;
  state: PermissionState;
  language_id: string | null;
  decided_at: string | null;
  received_at: string | null;
  requested_at: string | null;
  token_expires_at: string | null;
}

export type ParkedCallState = 'waiting' | 'ready' | 'done' | 'denied' | 'failed';
export type ContinuationStatus = 'pending' | 'done' | 'failed' | 'skipped';

export interface ParkedCallsTable {
  id: Generated<number>;
  member_id: string;
  /** Lower case, as ONAPPMETHODCONFIRM names it. */
  method: string;
  params: string;
  /** sha256 of the access token the call now waits under. */
  token_hash: string;
  continuation: string;
  state: ParkedCallState;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  result: string | null;
  error: string | null;
  /** Replays started so far (a claim starts one, even if its worker dies before sending it). */
  attempts: number;
  /** When the call's next step (replay or continuation) may be claimed. */
  next_attempt_at: string;
  continuation_status: ContinuationStatus;
  /** Runs of the continuation started so far (a claim starts one). */
  continuation_attempts: number;
  continuation_error: string | null;
  /** One lease for both steps (a call is in one at a time); every write-back names `lease_owner`. */
  locked_until: string | null;
  lease_owner: string | null;
}

/** A job the runner runs every so often (retention): leased like any job, due again at `next_attempt_at`. */
export interface PeriodicJobsTable {
  name: string;
  next_attempt_at: string;
  attempts: number;
  locked_until: string | null;
  lease_owner: string | null;
  last_run_at: string | null;
  /** What the last successful run did, in a line (e.g. what it deleted). */
  last_result: string | null;
  last_error: string | null;
}

/** A method this app must not send to a portal before `blocked_until` (OPERATION_TIME_LIMIT, docs/protocol.md#77-limits). */
export interface MethodBlocksTable {
  member_id: string;
  /** Lower case; `batch` when the portal refused the batch request itself. */
  method: string;
  blocked_until: string;
  /** `OPERATION_TIME_LIMIT` (the portal refused) or `operating` (its time.operating neared the limit). */
  reason: string;
  updated_at: string;
}

/** A portal's leaky bucket shared by every instance on PostgreSQL: its level at `updated_ms` (the database's clock). */
export interface RateBucketsTable {
  member_id: string;
  level: number;
  updated_ms: number;
}

export interface InstallationsVersionTable {
  id: number;
  version: number;
}

export interface Database {
  installations: InstallationsTable;
  installations_version: InstallationsVersionTable;
  inbox: InboxTable;
  permissions: PermissionsTable;
  parked_calls: ParkedCallsTable;
  periodic_jobs: PeriodicJobsTable;
  method_blocks: MethodBlocksTable;
  rate_buckets: RateBucketsTable;
  offline_sync: OfflineSyncTable;
}

export type Db = Kysely<Database> | Transaction<Database>;
export type Installation = Selectable<InstallationsTable>;
export type InboxRow = Selectable<InboxTable>;
export type PermissionRow = Selectable<PermissionsTable>;
export type ParkedCallRow = Selectable<ParkedCallsTable>;
export type PeriodicJobRow = Selectable<PeriodicJobsTable>;
export type OfflineSyncRow = Selectable<OfflineSyncTable>;

export type Dialect = 'sqlite' | 'postgres';

/** The storage port: a Kysely handle on one of the supported engines. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Creates or upgrades the schema; safe to call again. */
  migrate(): Promise<void>;
  /**
   * Tells every instance on this database that the named tasks have new work, once `db`'s transaction commits
   * (PostgreSQL NOTIFY; nothing on SQLite, where one process holds the file).
   */
  announceWork(db: Db, tasks: readonly string[]): Promise<void>;
  /**
   * Calls `listener` when an instance announces work (PostgreSQL LISTEN), with the tasks it named; with none when
   * any task may have work (the listening connection was away meanwhile).
   */
  onWork(listener: (tasks?: readonly string[]) => void): Promise<void>;
  /**
   * Takes the next place in the portal's leaky bucket (docs/protocol.md#77-limits) and answers how many ms to wait
   * before sending the request (0: now); `full` counts the bucket as full first (the portal said QUERY_LIMIT_EXCEEDED)
   * and takes no place. PostgreSQL: one row per portal, shared by every instance; SQLite: in this process.
   */
  reserveRequest(memberId: string, limit: RateLimit, full?: boolean): Promise<number>;
  close(): Promise<void>;
}
