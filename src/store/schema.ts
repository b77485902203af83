/** Table types shared by every adapter. Times are ISO-8601 UTC strings, which sort as text on both engines. */
import type { Generated, Kysely, Selectable, Transaction } from 'kysely';

export type InstallationStatus = 'installing' | 'active' | 'uninstalled';
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
}

export type Db = Kysely<Database> | Transaction<Database>;
export type Installation = Selectable<InstallationsTable>;
export type InboxRow = Selectable<InboxTable>;
export type PermissionRow = Selectable<PermissionsTable>;
export type ParkedCallRow = Selectable<ParkedCallsTable>;

export type Dialect = 'sqlite' | 'postgres';

/** The storage port: a Kysely handle on one of the supported engines. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Creates or upgrades the schema; safe to call again. */
  migrate(): Promise<void>;
  /**
   * Tells every instance on this database that there is new work, once `db`'s transaction commits
   * (PostgreSQL NOTIFY; nothing on SQLite, where one process holds the file).
   */
  announceWork(db: Db): Promise<void>;
  /** Calls `listener` when another instance announces work (PostgreSQL LISTEN). */
  onWork(listener: () => void): Promise<void>;
  close(): Promise<void>;
}
