/** What the API, the CLI and the pages show of stored rows: camelCase, no secrets, tokens as fingerprints. */
import { fingerprint, fingerprintOfHash } from '../protocol/index.js';
import type { InboxRow, Installation, PermissionRow } from '../store/schema.js';

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

export function permissionView(row: PermissionRow) {
  return {
    memberId: row.member_id,
    method: row.method,
    tokenFingerprint: fingerprintOfHash(row.token_hash),
    state: row.state,
    languageId: row.language_id,
    decidedAt: row.decided_at,
    receivedAt: row.received_at,
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
export type InboxEntry = ReturnType<typeof inboxEntryView>;
