/** What the API, the CLI and the pages show of stored rows: camelCase, no secrets, tokens as fingerprints. */
import { fingerprint, fingerprintOfHash, redact } from '../protocol/index.js';
import type { InboxRow, Installation, ParkedCallRow, PermissionRow } from '../store/schema.js';

export function installationView(row: Installation) {
  return {
    memberId: row.member_id,
    domain: row.domain,
    status: row.status,
    version: row.version,
    clientEndpoint: row.client_endpoint,
    applicationTokenFingerprint: fingerprint(row.application_token),
    hasTokens: row.access_token !== null,
    accessExpiresAt: row.access_expires_at,
    installedAt: row.installed_at,
    updatedAt: row.updated_at,
    uninstalledAt: row.uninstalled_at,
  };
}

export type PermissionStatus = 'waiting' | 'granted' | 'denied' | 'expired';

/**
 * A grant binds one access token: it shows as expired once that token has expired or the portal's current token
 * is another (`currentTokenHash`, when known).
 */
export function permissionView(row: PermissionRow, currentTokenHash?: string, now = Date.now()) {
  const tokenExpired = row.token_expires_at !== null && Date.parse(row.token_expires_at) <= now;
  const rotated = currentTokenHash !== undefined && currentTokenHash !== row.token_hash;
  const state: PermissionStatus = row.state === 'granted' && (tokenExpired || rotated) ? 'expired' : row.state;
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
