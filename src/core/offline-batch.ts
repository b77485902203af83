/**
 * Stores one batch read from a portal's offline queue, in one transaction with the batch's state (its process_id
 * `stored`), so that after a crash the batch is acknowledged, not stored again. Each record is one of:
 *
 * - **matched**: an online event about the same object (same event name, same ids) was received, and the record
 *   shows no later change: nothing is stored, the handlers do not run again. "No later change" means TIMESTAMP_X is
 *   not after the online event's `ts`; both are whole seconds, so a change in the same second as the online event
 *   counts as that event (or the online event's handlers have not started yet, and will see the latest state).
 * - **recovered**: no such online event (its delivery was lost, or the app polls): stored as a pending inbox event,
 *   `via: offline`, and its handlers run.
 * - **failed**: an unknown event name, no object ids, no date: stored as failed with the reason (visible, replayable),
 *   and its MESSAGE_ID is marked with event.offline.error.
 */
import {
  objectKey,
  offlineRecordProblem,
  offlineTimestamp,
  REDACTED,
  scrubSecrets,
  sha256Hex,
  tokenHash,
  type OfflineRecord,
} from '../protocol/index.js';
import { getInstallation } from '../store/installations.js';
import { insertOfflineEvent, lastOnlineEvent } from '../store/offline-inbox.js';
import { recordStoredBatch } from '../store/offline-sync.js';
import type { Db, Installation, Store } from '../store/schema.js';

export interface StoredBatch {
  recovered: number;
  matched: number;
  failed: number;
  failedMessageIds: string[];
}

export class LeaseLostError extends Error {
  constructor() {
    super('the lease on the portal was lost while its batch was stored; another worker reconciles it');
    this.name = 'LeaseLostError';
  }
}

/** The envelope a handler receives for a record: the event as an online delivery would carry it, without tokens. */
function envelope(record: OfflineRecord, installation: Installation, tsMs: number) {
  const additional = record.EVENT_ADDITIONAL as { user_id?: unknown } | null | undefined;
  return scrubSecrets({
    event: record.EVENT_NAME.toUpperCase(),
    data: record.EVENT_DATA,
    ts: String(Math.floor(tsMs / 1000)),
    auth: {
      domain: installation.domain,
      client_endpoint: installation.client_endpoint ?? '',
      server_endpoint: installation.server_endpoint ?? '',
      member_id: installation.member_id,
      application_token: REDACTED,
      ...(additional && typeof additional === 'object' && additional.user_id !== undefined
        ? { user_id: String(additional.user_id) }
        : {}),
    },
    offline: { id: record.ID, message_id: record.MESSAGE_ID, timestamp_x: record.TIMESTAMP_X },
  });
}

async function storeRecord(
  trx: Db,
  installation: Installation,
  record: OfflineRecord,
  handled: (event: string) => boolean,
  now: string,
): Promise<'recovered' | 'matched' | 'failed' | 'seen'> {
  const memberId = installation.member_id;
  const offlineKey = `${memberId}/${record.ID}`;
  const row = {
    body_hash: sha256Hex(`offline\n${offlineKey}`),
    member_id: memberId,
    event: record.EVENT_NAME.toUpperCase().slice(0, 128) || '(none)',
    received_at: now,
    application_token_hash: tokenHash(installation.application_token),
    via: 'offline' as const,
    offline_key: offlineKey,
  };
  const problem = offlineRecordProblem(record, handled);
  if (problem) {
    const ts = offlineTimestamp(record.TIMESTAMP_X);
    await insertOfflineEvent(trx, {
      ...row,
      ts: Number.isNaN(ts) ? now : new Date(ts).toISOString(),
      payload: JSON.stringify(scrubSecrets(record)),
      status: 'failed',
      attempts: 0,
      next_attempt_at: now,
      last_error: `offline record ${record.ID}: ${problem}`,
      finished_at: now,
    });
    return 'failed';
  }
  const tsMs = offlineTimestamp(record.TIMESTAMP_X);
  const key = objectKey(row.event, record.EVENT_DATA)!;
  const online = await lastOnlineEvent(trx, memberId, key);
  if (online && (online.unstarted || tsMs <= Date.parse(online.ts))) return 'matched';
  const inserted = await insertOfflineEvent(trx, {
    ...row,
    ts: new Date(tsMs).toISOString(),
    payload: JSON.stringify(envelope(record, installation, tsMs)),
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    object_key: key,
  });
  return inserted ? 'recovered' : 'seen';
}

/** Stores `records` and marks the batch stored, in one transaction; throws LeaseLostError (nothing kept) if the lease is gone. */
export async function storeOfflineBatch(
  store: Store,
  batch: { memberId: string; owner: string; processId: string | null; records: OfflineRecord[] },
  handled: (event: string) => boolean,
): Promise<StoredBatch> {
  const now = new Date().toISOString();
  return store.db.transaction().execute(async (trx) => {
    const installation = await getInstallation(trx, batch.memberId);
    const result: StoredBatch = { recovered: 0, matched: 0, failed: 0, failedMessageIds: [] };
    if (installation) {
      for (const record of batch.records) {
        const outcome = await storeRecord(trx, installation, record, handled, now);
        if (outcome === 'seen') continue;
        result[outcome]++;
        if (outcome === 'failed') result.failedMessageIds.push(record.MESSAGE_ID);
      }
    }
    const kept = await recordStoredBatch(trx, batch.memberId, batch.owner, {
      processId: batch.processId,
      failedMessageIds: result.failedMessageIds,
      counts: result,
      at: now,
    });
    if (!kept) throw new LeaseLostError();
    if (result.recovered > 0) await store.announceWork(trx, ['inbox']);
    return result;
  });
}
