/**
 * One group commit: many proved events stored in one transaction, each with its built-in state change, exactly as
 * each would be alone (identical unstarted bodies merge; a repeat changes no state). Events proved from the cached
 * application_token are proved again inside the transaction when the installations changed since the cache was filled.
 */
import { businessObjectKey, scrubPayload, tokenHash, type AnyRawEvent, type RawEvent } from '../protocol/index.js';
import { insertInboxEvents } from '../store/inbox.js';
import { getInstallation, installationsVersion } from '../store/installations.js';
import { permissionKey } from '../store/permissions.js';
import type { Db, Store } from '../store/schema.js';
import type { ApplicationTokenCache } from './application-token-cache.js';
import { applyEvents } from './apply-event.js';
import { verifyApplicationToken, type EventNotVerifiedError, type Proof } from './proof-of-origin.js';

export interface ProvedEvent {
  raw: AnyRawEvent;
  hash: string;
  proof: Proof;
  /** Proved against the cached installation, not one read for this event. */
  cached: boolean;
}

export type StoredEvent =
  | {
      ok: true;
      id: number;
      inserted: boolean;
      /** The tasks the commit gave work (every instance's, announced on PostgreSQL; this one's to wake). */
      work: readonly string[];
    }
  | { ok: false; error: EventNotVerifiedError };

const LIFECYCLE = new Set(['ONAPPINSTALL', 'ONAPPUPDATE', 'ONAPPUNINSTALL']);

/**
 * The rows a state change locks, as a sortable key: batches apply their changes in this order, so two of them (two
 * instances) never wait for each other in a cycle. Events with the same key keep the order they came in.
 */
function lockKey({ raw }: ProvedEvent): string {
  if (raw.event !== 'ONAPPMETHODCONFIRM') return raw.auth.member_id;
  const { data } = raw as RawEvent<'ONAPPMETHODCONFIRM'>;
  return permissionKey({
    memberId: raw.auth.member_id,
    tokenHash: tokenHash(data.TOKEN),
    method: data.METHOD.toLowerCase(),
  });
}

/** Checks cached proofs against the installations as they are now; refused events are answered, not stored. */
async function proveAgain(db: Db, events: ProvedEvent[], results: StoredEvent[]): Promise<void> {
  for (const [i, event] of events.entries()) {
    if (!event.cached) continue;
    const memberId = event.raw.auth.member_id;
    const check = verifyApplicationToken(
      await getInstallation(db, memberId),
      memberId,
      event.raw.auth.application_token,
    );
    if (check.ok) event.proof = { by: 'application_token', installation: check.installation };
    else results[i] = { ok: false, error: check.error };
  }
}

export function storeEvents(store: Store, cache: ApplicationTokenCache, events: ProvedEvent[]): Promise<StoredEvent[]> {
  const now = new Date();
  const at = now.toISOString();
  return store.db.transaction().execute(async (trx) => {
    const results: StoredEvent[] = new Array(events.length);
    if (!cache.holds(await installationsVersion(trx))) await proveAgain(trx, events, results);
    const accepted = events.map((_, i) => i).filter((i) => results[i] === undefined);
    const stored = await insertInboxEvents(
      trx,
      accepted.map((i) => {
        const { raw, hash } = events[i]!;
        return {
          body_hash: hash,
          member_id: raw.auth.member_id,
          event: raw.event,
          ts: new Date(Number(raw.ts) * 1000).toISOString(),
          received_at: at,
          payload: JSON.stringify(scrubPayload(raw)),
          application_token_hash: tokenHash(raw.auth.application_token),
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: at,
          // Lets the offline reconciler find this object's last online event (docs/protocol.md#8-offline-events).
          object_key: businessObjectKey(raw.event, (raw as { data?: unknown }).data) ?? null,
        };
      }),
    );
    const changes = accepted.filter((_, n) => stored[n]!.inserted).map((i) => events[i]!);
    const keys = new Map(changes.map((event) => [event, lockKey(event)]));
    changes.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : 0));
    const { callsDecided } = await applyEvents(trx, changes, now);
    // An install or uninstall moved the counter: later commits must not trust what the cache held before it.
    if (changes.some((event) => LIFECYCLE.has(event.raw.event))) cache.holds(await installationsVersion(trx));
    // New events are the inbox's work; calls a decision made ready or denied, the replays' and continuations'.
    const work = changes.length === 0 ? [] : callsDecided > 0 ? ['inbox', 'replays', 'continuations'] : ['inbox'];
    if (work.length > 0) await store.announceWork(trx, work);
    accepted.forEach((i, n) => {
      results[i] = { ok: true, ...stored[n]!, work };
    });
    return results;
  });
}
