/**
 * Proof of origin: did Bitrix24 send this? Every event is checked against the application_token stored for its
 * portal, in constant time (docs/protocol.md#4-verification). An install (ONAPPINSTALL, the installer frame, or an
 * ONAPPUPDATE that brings a new token) is proved instead by refreshing its refresh token at the portal's own OAuth
 * server, chosen from the configured list by the origin of `server_endpoint`: a refresh that succeeds for the same
 * member_id shows that Bitrix24 issued those tokens to this app. Refreshes on behalf of unproved requests are bounded
 * (verification-budget.ts), so forged installs cannot make the app flood the OAuth server.
 */
import { B24EventsError, secretsEqual, sha256Hex, type AnyRawEvent } from '../protocol/index.js';
import {
  credentialsFrom,
  hostOf,
  OAuthError,
  oauthServerFor,
  refreshTokens,
  UnknownOAuthServerError,
  type OAuthSettings,
  type TokenAnswer,
} from '../rest/oauth.js';
import { sendRest } from '../rest/transport.js';
import { bodySeenBefore } from '../store/inbox.js';
import { getInstallation } from '../store/installations.js';
import type { Db, Installation } from '../store/schema.js';
import { defaultVerificationLimits, VerificationBudget, type VerificationLimits } from './verification-budget.js';

export type RefusalReason = 'unknown_portal' | 'installation_not_finished' | 'uninstalled' | 'token_mismatch';

export class EventNotVerifiedError extends B24EventsError {
  constructor(
    readonly reason: RefusalReason | 'install_not_verified',
    readonly memberId: string,
    message: string,
  ) {
    super(reason, message, 403, { memberId });
  }
}

const explain: Record<RefusalReason, (memberId: string) => string> = {
  unknown_portal: (m) =>
    `No installation is known for member_id ${m}. Events are accepted once the app has received ONAPPINSTALL from this portal, or after "b24-events installations add".`,
  installation_not_finished: (m) =>
    `The installation for member_id ${m} is not finished (ONAPPINSTALL said INSTALLED=N); events are accepted once it is.`,
  uninstalled: (m) =>
    `The app was uninstalled from member_id ${m}; its events are refused until the portal installs the app again.`,
  token_mismatch: (m) =>
    `auth.application_token does not match the one stored for member_id ${m}. If the app was reinstalled while this server missed the event, register the new token with "b24-events installations add".`,
};

export function refusal(reason: RefusalReason, memberId: string): EventNotVerifiedError {
  return new EventNotVerifiedError(reason, memberId, explain[reason](memberId));
}

/** The application_token check alone: a pure function, its checks in a fixed order, each failure its own reason. */
export function verifyApplicationToken(
  installation: Installation | undefined,
  memberId: string,
  applicationToken: string,
): { ok: true; installation: Installation } | { ok: false; error: EventNotVerifiedError } {
  if (!installation) return { ok: false, error: refusal('unknown_portal', memberId) };
  if (installation.status === 'uninstalled') return { ok: false, error: refusal('uninstalled', memberId) };
  if (!secretsEqual(installation.application_token, applicationToken))
    return { ok: false, error: refusal('token_mismatch', memberId) };
  if (installation.status === 'installing') return { ok: false, error: refusal('installation_not_finished', memberId) };
  return { ok: true, installation };
}

export type Proof =
  | { by: 'application_token'; installation: Installation }
  /** A byte-identical repeat of an install already stored: genuine (same token), and it changes nothing. */
  | { by: 'repeat'; installation: Installation }
  | { by: 'oauth'; installation: Installation | undefined; tokens: TokenAnswer; oauthServer: string };

const notVerified = (memberId: string, why: string) =>
  new EventNotVerifiedError(
    'install_not_verified',
    memberId,
    `The install for member_id ${memberId} could not be proved genuine: ${why}`,
  );

export class OriginProver {
  private readonly budget: VerificationBudget;

  constructor(
    private readonly oauth: OAuthSettings,
    limits: VerificationLimits = defaultVerificationLimits,
  ) {
    this.budget = new VerificationBudget(limits);
  }

  /** How an event is genuine, or the refusal that says why not. */
  async prove(
    db: Db,
    raw: AnyRawEvent,
    bodyHash: string,
    read: (db: Db, memberId: string) => Promise<Installation | undefined> = getInstallation,
  ): Promise<Proof> {
    const memberId = raw.auth.member_id;
    const installation = await read(db, memberId);
    const check = verifyApplicationToken(installation, memberId, raw.auth.application_token);
    const auth = raw.auth as { refresh_token?: unknown; server_endpoint: string };
    const proveInstall = () =>
      this.proveTokens({
        memberId,
        refreshToken: auth.refresh_token,
        serverEndpoint: auth.server_endpoint,
        applicationToken: raw.auth.application_token,
        installation,
      });
    // The same bytes were proved before, application_token included: genuine, even if the portal has moved on since
    // (an uninstall, a spent refresh token). It is stored again (docs/protocol.md#71-identical-bodies-can-be-two-events) but changes no state.
    const repeat = async () => installation !== undefined && (await bodySeenBefore(db, bodyHash));
    if (raw.event !== 'ONAPPINSTALL') {
      if (check.ok) return { by: 'application_token', installation: check.installation };
      if (await repeat()) return { by: 'repeat', installation: installation! };
      if (raw.event === 'ONAPPUPDATE' && check.error.reason === 'token_mismatch') return proveInstall();
      throw check.error;
    }
    if (await repeat()) return { by: 'repeat', installation: installation! };
    // An install of a known portal is an update (docs/protocol.md#72-updates-arrive-as-onappinstall): proved afresh like the first.
    return proveInstall();
  }

  /** Proves a token pair by refreshing it at the portal's OAuth server (shared by events and the installer frame). */
  async proveTokens(input: {
    memberId: string;
    refreshToken: unknown;
    serverEndpoint: string;
    applicationToken: string;
    installation: Installation | undefined;
  }): Promise<Extract<Proof, { by: 'oauth' }>> {
    const { memberId, installation } = input;
    const server = oauthServerFor(this.oauth.servers, input.serverEndpoint);
    if (!server) throw new UnknownOAuthServerError(memberId, hostOf(input.serverEndpoint));
    const credentials = credentialsFrom(this.oauth);
    if (!credentials)
      throw notVerified(
        memberId,
        'B24_CLIENT_ID and B24_CLIENT_SECRET are not configured, so its tokens cannot be checked with the OAuth server.',
      );
    if (typeof input.refreshToken !== 'string' || input.refreshToken === '') {
      throw notVerified(memberId, 'it carries no refresh token to check with the OAuth server.');
    }
    const key = `${memberId}:${sha256Hex(input.refreshToken)}`;
    const failed = this.budget.recentFailure(key);
    if (failed) throw notVerified(memberId, failed);
    const tokens = await this.budget.spend(async () => {
      try {
        return await refreshTokens(server, credentials, input.refreshToken as string);
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        this.budget.remember(key, error.message);
        throw notVerified(memberId, error.message);
      }
    });
    if (tokens.member_id !== memberId) {
      this.budget.remember(key, 'the OAuth server issued its tokens to another portal.');
      throw notVerified(memberId, 'the OAuth server issued its tokens to another portal.');
    }
    // Any user who opens an app with a UI gets a refresh token of their own: a refresh proves the portal, not the
    // sender. Replacing an active installation's application_token therefore takes an administrator's token.
    const installed = installation?.status === 'active' || installation?.status === 'needs_reinstall';
    const replacesToken = installed && !secretsEqual(installation.application_token, input.applicationToken);
    if (replacesToken && !(await this.isAdministrator(tokens))) {
      this.budget.remember(
        key,
        'it would replace the application_token with a token of a user who is not an administrator.',
      );
      throw notVerified(
        memberId,
        'it would replace the application_token with a token of a user who is not an administrator.',
      );
    }
    return { by: 'oauth', installation, tokens, oauthServer: server };
  }

  /** `user.admin` with the fresh token, at the portal the OAuth server named (never an endpoint from the request). */
  private async isAdministrator(tokens: TokenAnswer): Promise<boolean> {
    if (!tokens.client_endpoint) return false;
    try {
      const answer = await sendRest(
        tokens.client_endpoint,
        'user.admin',
        {},
        tokens.access_token,
        this.oauth.timeoutMs ?? 10_000,
      );
      return answer.result === true;
    } catch {
      return false;
    }
  }
}
