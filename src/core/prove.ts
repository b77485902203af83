/**
 * Decides whether an event is genuine and how it was proved. Every event is first checked against the stored
 * application_token. ONAPPINSTALL (no token stored yet, or a new one) and an ONAPPUPDATE that brings a new token are
 * proved instead by refreshing their refresh_token at the configured OAuth server: a refresh that succeeds for the
 * same member_id shows that Bitrix24 issued those tokens to this app.
 */
import type { AnyRawEvent } from '../protocol/index.js';
import { credentialsFrom, OAuthError, refreshTokens, type OAuthSettings, type TokenAnswer } from '../rest/oauth.js';
import { getInstallation } from '../store/installations.js';
import type { Db, Installation } from '../store/schema.js';
import { EventNotVerifiedError, verifyApplicationToken } from './verify.js';

export type Proof =
  | { by: 'application_token'; installation: Installation }
  | { by: 'oauth'; installation: Installation | undefined; tokens: TokenAnswer };

function notVerified(memberId: string, why: string): EventNotVerifiedError {
  return new EventNotVerifiedError('install_not_verified', memberId, `The event from member_id ${memberId} could not be proved genuine: ${why}`);
}

async function proveWithOAuth(raw: AnyRawEvent, oauth: OAuthSettings, installation: Installation | undefined): Promise<Proof> {
  const memberId = raw.auth.member_id;
  const credentials = credentialsFrom(oauth);
  if (!credentials) {
    throw notVerified(memberId, 'B24_CLIENT_ID and B24_CLIENT_SECRET are not configured, so its tokens cannot be checked with the OAuth server.');
  }
  const refreshToken = (raw.auth as { refresh_token?: unknown }).refresh_token;
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw notVerified(memberId, 'it carries no auth.refresh_token to check with the OAuth server.');
  }
  let tokens: TokenAnswer;
  try {
    tokens = await refreshTokens(credentials, refreshToken);
  } catch (error) {
    if (error instanceof OAuthError) throw notVerified(memberId, error.message);
    throw error;
  }
  if (tokens.member_id !== memberId) {
    throw notVerified(memberId, 'the OAuth server issued its tokens to another portal.');
  }
  return { by: 'oauth', installation, tokens };
}

export async function prove(db: Db, raw: AnyRawEvent, oauth: OAuthSettings): Promise<Proof> {
  const memberId = raw.auth.member_id;
  const installation = await getInstallation(db, memberId);
  const check = verifyApplicationToken(installation, memberId, raw.auth.application_token);
  if (check.ok) return { by: 'application_token', installation: check.installation };
  const reason = check.error.reason;
  if (raw.event === 'ONAPPINSTALL') {
    if (reason === 'installation_not_finished' && installation) return { by: 'application_token', installation };
    return proveWithOAuth(raw, oauth, installation);
  }
  if (raw.event === 'ONAPPUPDATE' && reason === 'token_mismatch') return proveWithOAuth(raw, oauth, installation);
  throw check.error;
}
