/** What the API, the CLI and the pages show of stored rows: camelCase, no secrets, tokens as fingerprints. */
import { fingerprint, fingerprintOfHash, planOf, redact } from '../protocol/index.js';
import { rateLimitOf } from '../store/installations.js';
import type { InboxRow, Installation, OfflineSyncRow, ParkedCallRow, PermissionRow } from '../store/schema.js';

export function installationView(row: Installation) {
  const rateLimit = rateLimitOf(row) ?? null;
  return {
    memberId: row.member_id,
    domain: row.domain,
    status: row.status,
    version: row.version,
    clientEndpoint: row.client_endpoint,
    /** The region's OAuth server its tokens are refreshed at. */
    oauthServer: row.oauth_server,
    applicationTokenFingerprint: fingerprint(row.application_token),
    hasTokens: row.access_token !== null,
    accessExpiresAt: row.access_expires_at,
    /** When the stored pair last came from the OAuth server; the keep-alive refreshes it every refreshEveryDays. */
    tokensRefreshedAt: row.tokens_refreshed_at,
    /** Why the last refresh failed (no secret): for needs_reinstall, the OAuth server's refusal. */
    refreshError: row.refresh_error,
    /** The portal's own request limit (`installations set-plan`); null: the app's `rest.rateLimit`. */
    rateLimit,
    plan: rateLimit ? planOf(rateLimit) : ('default' as const),
    installedAt: row.installed_at,
    updatedAt: row.updated_at,
    uninstalledAt: row.uninstalled_at,
  };
}

export type PermissionStatus = 'waiting' | 'granted' | 'denied' | 'expired';

/** An access token's lifetime: a grant for a token the app never held lasts at most this long. */
const ACCESS_TOKEN_LIFETIME_MS = 3600_000;

/**
 * A grant binds one access token (docs/protocol.md#76-user-tokens-and-decisions). For a token the app held (it made the call), the grant
 * expires with the token, or early when a refresh replaced it (`currentTokenHash`). For any other token (a user's,
 * from the app's page) it lasts until an hour after the decision, the longest that token can live.
 */
export function permissionView(row: PermissionRow, currentTokenHash?: string, now = Date.now()) {
  const held = row.token_expires_at !== null;
  const decidedAt = Date.parse(row.decided_at ?? row.received_at ?? '');
  const expired = held
    ? Date.parse(row.token_expires_at!) <= now ||
      (currentTokenHash !== undefined && currentTokenHash !== row.token_hash)
    : !Number.isNaN(decidedAt) && decidedAt + ACCESS_TOKEN_LIFETIME_MS <= now;
  const state: PermissionStatus = row.state === 'granted' && expired ? 'expired' : row.state;
  return {
    memberId: row.member_id,
    method: row.method,
    tokenFingerprint: fingerprintOfHash(row.token_hash),
    state,
    languageId: row.language_id,
    decidedAt: row.decided_at,
    requestedAt: row.requested_at,
    receivedAt: row.received_at,
    tokenExpiresAt: row.token_expires_at,
  };
}

export function parkedCallView(row: ParkedCallRow) {
  return {
    id: Number(row.id),
    memberId: row.member_id,
    method: row.method,
    state: row.state,
    continuation: row.continuation,
    continuationStatus: row.continuation_status,
    tokenFingerprint: fingerprintOfHash(row.token_hash),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    result: row.result === null ? null : redact(JSON.parse(row.result)),
    error: row.error ?? row.continuation_error,
    attempts: row.attempts,
  };
}

export function inboxEntryView(row: InboxRow) {
  return {
    id: Number(row.id),
    memberId: row.member_id,
    event: row.event,
    via: row.via,
    ts: row.ts,
    receivedAt: row.received_at,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    finishedAt: row.finished_at,
  };
}

export type InstallationView = ReturnType<typeof installationView>;
export type Permission = ReturnType<typeof permissionView>;
export type ParkedCall = ReturnType<typeof parkedCallView>;
export type InboxEntry = ReturnType<typeof inboxEntryView>;

/** A portal's offline reconciliation: when it last ran, what it found, what is left, what went wrong. */
export function offlineSyncView(row: OfflineSyncRow) {
  return {
    memberId: row.member_id,
    /** `reserve` (batches reserved, then acknowledged) or `clear` (the plan lacks reservation: reading deletes); null before the first read. */
    mode: row.mode,
    authConnector: row.auth_connector,
    lastReconciledAt: row.last_reconciled_at,
    nextAt: row.locked_until ? null : row.next_attempt_at,
    running: row.locked_until !== null && Date.parse(row.locked_until) > Date.now(),
    recovered: Number(row.recovered),
    matched: Number(row.matched),
    failed: Number(row.failed),
    backlog: row.backlog === null ? null : Number(row.backlog),
    errors: Number(row.errors),
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    reservedBatch: row.process_id !== null,
  };
}

export type OfflineStatus = ReturnType<typeof offlineSyncView>;
