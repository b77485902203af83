/** The built-in state changes events make, run in the same transaction as their inbox rows. */
import { tokenHash, type AnyRawEvent, type RawEvent } from '../protocol/index.js';
import { updateInstallation } from '../store/installations.js';
import { decideParkedCalls, type ParkedCallDecision } from '../store/parked-calls.js';
import { deleteOfflineSync, makeOfflineSyncDue } from '../store/offline-sync.js';
import { recordDecisions, type Decision } from '../store/permissions.js';
import type { Db } from '../store/schema.js';
import { tokenExpiry } from '../rest/oauth.js';
import { freshPairState, saveProvedInstallation } from './installations.js';
import type { Proof } from './proof-of-origin.js';

/** Clocks differ by a little; a `ts` further ahead than this is not believed for ordering decisions. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * When a decision was taken, for ordering: its `ts`, unless that lies beyond the clock skew in the future (a bad
 * clock or a forged year 2223), when the time it arrived counts instead, so it cannot outrank later real decisions.
 */
function decisionTime(tsMs: number, now: Date): Date {
  // Whole seconds, as `ts` is: a real decision stamped in the same second then still replaces it.
  return tsMs > now.getTime() + CLOCK_SKEW_MS ? new Date(Math.floor(now.getTime() / 1000) * 1000) : new Date(tsMs);
}

export interface ProvedRawEvent {
  raw: AnyRawEvent;
  proof: Proof;
}

/**
 * The built-in state changes of events stored together, as if applied one after another in the order given (events
 * of one portal, token and method keep their order). The administrator's decisions are written together: one
 * statement for the permission ledger and one for the parked calls, however many ONAPPMETHODCONFIRM the batch holds.
 * Answers how many parked calls the decisions made ready or denied.
 */
export async function applyEvents(db: Db, events: ProvedRawEvent[], now: Date): Promise<{ callsDecided: number }> {
  const at = now.toISOString();
  const decisions: (Decision & ParkedCallDecision)[] = [];
  for (const { raw, proof } of events) {
    // A repeat of bytes already applied: built-in state changes happen once.
    if (proof.by === 'repeat') continue;
    if (raw.event !== 'ONAPPMETHODCONFIRM') {
      await applyOther(db, raw, proof, now);
      continue;
    }
    const { data, ts, auth } = raw as RawEvent<'ONAPPMETHODCONFIRM'>;
    decisions.push({
      memberId: auth.member_id,
      tokenHash: tokenHash(data.TOKEN),
      method: data.METHOD.toLowerCase(),
      granted: data.CONFIRMED === '1',
      languageId: data.LANGUAGE_ID,
      decidedAt: decisionTime(Number(ts) * 1000, now).toISOString(),
      receivedAt: at,
    });
  }
  if (decisions.length === 0) return { callsDecided: 0 };
  await recordDecisions(db, decisions);
  return { callsDecided: await decideParkedCalls(db, decisions, at) };
}

/** Every built-in state change but a decision's. */
async function applyOther(db: Db, raw: AnyRawEvent, proof: Proof, now: Date): Promise<void> {
  const at = now.toISOString();
  const memberId = raw.auth.member_id;
  switch (raw.event) {
    case 'ONAPPINSTALL':
    case 'ONAPPUPDATE': {
      const event = raw as RawEvent<'ONAPPINSTALL'> | RawEvent<'ONAPPUPDATE'>;
      if (proof.by === 'oauth') {
        const installing = event.event === 'ONAPPINSTALL' && event.data.INSTALLED === 'N';
        await saveProvedInstallation(db, proof, {
          memberId,
          domain: event.auth.domain,
          applicationToken: event.auth.application_token,
          version: event.data.VERSION,
          status: installing ? 'installing' : 'active',
          now,
        });
      } else {
        // ONAPPUPDATE proved by the stored token: its own tokens are fresher than the stored ones (and with a
        // refresh token of its own, it heals an installation that needed reinstalling).
        const { auth, data } = event as RawEvent<'ONAPPUPDATE'>;
        await updateInstallation(db, memberId, {
          access_token: auth.access_token,
          refresh_token: auth.refresh_token ?? proof.installation.refresh_token,
          access_expires_at: tokenExpiry(auth, now),
          version: data.VERSION,
          updated_at: at,
          ...(auth.refresh_token
            ? {
                ...freshPairState(at),
                ...(proof.installation.status === 'needs_reinstall' ? { status: 'active' as const } : {}),
              }
            : {}),
        });
      }
      return;
    }
    case 'ONAPPUNINSTALL':
      await updateInstallation(db, memberId, {
        status: 'uninstalled',
        access_token: null,
        refresh_token: null,
        access_expires_at: null,
        uninstalled_at: at,
        updated_at: at,
      });
      // Uninstalling deletes the portal's offline queue (docs/protocol.md#83-what-the-queue-keeps).
      await deleteOfflineSync(db, memberId);
      return;
    case 'ONOFFLINEEVENT':
      // The queue has new records (docs/protocol.md#85-the-signal): the portal's reconciler is due now.
      await makeOfflineSyncDue(db, at, memberId);
      return;
    default:
      return;
  }
}
