/** The built-in state change an event makes, run in the same transaction as its inbox row. */
import { sha256Hex, type AnyRawEvent, type RawEvent } from '../protocol/index.js';
import { expiryOf } from '../rest/oauth.js';
import { saveInstallation, updateInstallation } from '../store/installations.js';
import { decideParkedCalls } from '../store/parked-calls.js';
import { recordDecision } from '../store/permissions.js';
import type { Db } from '../store/schema.js';
import type { Proof } from './prove.js';

const hostOf = (url: string | undefined): string | undefined => {
  try {
    return url ? new URL(url).hostname : undefined;
  } catch {
    return undefined;
  }
};

function tokenExpiryFromEvent(auth: RawEvent<'ONAPPUPDATE'>['auth'], now: Date): string {
  if (auth.expires) return new Date(Number(auth.expires) * 1000).toISOString();
  return new Date(now.getTime() + Number(auth.expires_in ?? 3600) * 1000).toISOString();
}

export async function applyEvent(db: Db, raw: AnyRawEvent, proof: Proof, now: Date): Promise<void> {
  const at = now.toISOString();
  const memberId = raw.auth.member_id;
  switch (raw.event) {
    case 'ONAPPINSTALL':
    case 'ONAPPUPDATE': {
      const event = raw as RawEvent<'ONAPPINSTALL'> | RawEvent<'ONAPPUPDATE'>;
      const version = Number(event.data.VERSION);
      const installed = event.event === 'ONAPPUPDATE' || event.data.INSTALLED !== 'N';
      if (proof.by === 'oauth') {
        const { tokens } = proof;
        await saveInstallation(db, {
          member_id: memberId,
          domain: hostOf(tokens.client_endpoint) ?? event.auth.domain,
          client_endpoint: tokens.client_endpoint ?? event.auth.client_endpoint,
          server_endpoint: tokens.server_endpoint ?? event.auth.server_endpoint,
          application_token: event.auth.application_token,
          access_token: tokens.access_token,
          refresh_token: tokens.refresh_token,
          access_expires_at: expiryOf(tokens, now.getTime()).toISOString(),
          scope: tokens.scope ?? event.auth.scope ?? null,
          status: installed ? 'active' : 'installing',
          version,
          installed_at: proof.installation?.status === 'active' ? proof.installation.installed_at : at,
          updated_at: at,
          uninstalled_at: null,
        });
      } else if (event.event === 'ONAPPUPDATE') {
        // Proved by the stored token: the event's own tokens are fresh, the app's stored ones are older.
        await updateInstallation(db, memberId, {
          access_token: event.auth.access_token,
          refresh_token: event.auth.refresh_token ?? proof.installation.refresh_token,
          access_expires_at: tokenExpiryFromEvent(event.auth, now),
          version,
          updated_at: at,
        });
      } else {
        // A repeated ONAPPINSTALL: its refresh token may be spent already, so only the status and version move.
        await updateInstallation(db, memberId, { status: installed ? 'active' : proof.installation.status, version, updated_at: at });
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
      return;
    case 'ONAPPMETHODCONFIRM': {
      const { data, ts } = raw as RawEvent<'ONAPPMETHODCONFIRM'>;
      const key = { memberId, tokenHash: sha256Hex(data.TOKEN), method: data.METHOD.toLowerCase() };
      const granted = data.CONFIRMED === '1';
      await recordDecision(db, {
        ...key,
        granted,
        languageId: data.LANGUAGE_ID,
        decidedAt: new Date(Number(ts) * 1000).toISOString(),
        receivedAt: at,
      });
      await decideParkedCalls(db, key, granted, at);
      return;
    }
    default:
      return;
  }
}
