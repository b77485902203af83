/**
 * Spending a portal's refresh token, the one way for the keep-alive task and a call's on-demand refresh. The caller
 * holds the installation's refresh lease (store/token-refresh.ts), so one refresh at a time per portal across every
 * instance. The token goes to the portal's own region's OAuth server (docs/protocol.md#73-two-oauth-servers); the
 * answer's pair is stored under the lease, dated from when it was asked for: the OAuth server issued it after that, so
 * its age (and its access token's life) never counts from later than it began, however late the answer or the write
 * comes (a pair dated from its arrival would put off the next refresh by as long). `invalid_grant` (a spent, expired
 * or unknown refresh token) and `wrong_client` (the OAuth server no longer knows the app) are final: the installation
 * needs reinstalling.
 * `invalid_client` (a wrong client secret, docs/protocol.md#65-oauth-server-error-shapes) is the app's configuration,
 * the same for every portal, and a reinstall would not cure it: it fails the attempt and is tried again.
 */
import { credentialsFrom, hostOf, OAuthError, oauthServerFor, refreshTokens, tokenExpiry } from '../rest/oauth.js';
import type { OAuthSettings, TokenAnswer } from '../rest/oauth.js';
import { markNeedsReinstall, storeRefreshedPair } from '../store/token-refresh.js';
import type { Installation, Store } from '../store/schema.js';
import type { Logger } from './logger.js';
import { PortalUnavailableError, unavailable } from './portal-unavailable.js';

const GRANT_LOST = new Set(['invalid_grant', 'wrong_client']);

/** The OAuth server refused the refresh token for good: only a new install of the app brings access back. */
export const grantLost = (error: unknown): error is OAuthError =>
  error instanceof OAuthError && GRANT_LOST.has(error.code);

/** A pair the OAuth server answered, with when it was asked for: it is at least that old. */
export interface RefreshedPair {
  answer: TokenAnswer;
  /** The keep-alive's clock (milliseconds) just before the request: the pair's age counts from here. */
  askedAt: number;
  /** The wall clock just before the request: an `expires_in` counts from here. */
  sentAt: Date;
}

/** Told of each refresh sent to an OAuth server: ok, or the OAuth error code (or `oauth_unreachable`, ...). */
export type RefreshObserver = (outcome: { ok: true } | { ok: false; code: string }) => void;

export class TokenRefresher {
  constructor(
    private readonly store: Store,
    private readonly oauth: OAuthSettings,
    private readonly log: Logger,
    /** The keep-alive's clock (milliseconds): a stored pair's age counts from it. */
    private readonly clock: () => number = Date.now,
    private readonly observe: RefreshObserver = () => {},
  ) {}

  /** Sends the stored refresh token; PortalUnavailableError when it cannot be sent, OAuthError when refused. */
  async send(row: Installation): Promise<RefreshedPair> {
    const memberId = row.member_id;
    if (row.status !== 'active') throw unavailable(row);
    const credentials = credentialsFrom(this.oauth);
    if (!credentials)
      throw new PortalUnavailableError(
        memberId,
        'its tokens cannot be refreshed: B24_CLIENT_ID / B24_CLIENT_SECRET are not configured.',
      );
    if (!row.refresh_token) throw new PortalUnavailableError(memberId, 'the installation has no refresh token.');
    // Rows from before regions were kept: by server_endpoint.
    const server = oauthServerFor(this.oauth.servers, row.oauth_server ?? row.server_endpoint);
    if (!server)
      throw new PortalUnavailableError(
        memberId,
        `its OAuth server ${hostOf(row.oauth_server ?? row.server_endpoint)} is not in B24_OAUTH_URL.`,
      );
    const askedAt = this.clock();
    const sentAt = new Date();
    try {
      const answer = await refreshTokens(server, credentials, row.refresh_token);
      this.observe({ ok: true });
      return { answer, askedAt, sentAt };
    } catch (error) {
      this.observe({ ok: false, code: error instanceof OAuthError ? error.code : 'other' });
      if (error instanceof OAuthError && error.code === 'invalid_client')
        this.log.error(
          { memberId },
          'the OAuth server refused the app’s client secret (invalid_client): check B24_CLIENT_SECRET',
        );
      throw error;
    }
  }

  /** Stores the answer for the lease holder; false when the lease was lost or an install replaced the pair meanwhile. */
  stored(row: Installation, owner: string, { answer, askedAt, sentAt }: RefreshedPair): Promise<boolean> {
    return storeRefreshedPair(this.store.db, row.member_id, owner, row.refresh_token ?? '', {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      expiresAt: tokenExpiry(answer, sentAt),
      at: new Date().toISOString(),
      refreshedAt: new Date(askedAt).toISOString(),
    });
  }

  /**
   * The refresh token was refused for good: the installation is marked needs_reinstall (unless the lease was lost or
   * an install brought a new pair meanwhile), with one log line naming the portal, never the token.
   */
  async lost(row: Installation, owner: string, error: OAuthError): Promise<boolean> {
    const server = row.oauth_server ?? row.server_endpoint;
    const marked = await markNeedsReinstall(this.store.db, row.member_id, owner, row.refresh_token ?? '', {
      error: `${error.code} at ${server && URL.canParse(server) ? new URL(server).origin : 'the OAuth server'}`,
      at: new Date().toISOString(),
    });
    if (marked)
      this.log.error(
        { memberId: row.member_id, domain: row.domain, oauthError: error.code },
        error.code === 'wrong_client'
          ? 'the OAuth server does not know the app (wrong_client): the installation needs reinstalling (if every portal says so, check B24_CLIENT_ID)'
          : 'the OAuth server refused the refresh token (invalid_grant): the installation needs reinstalling',
      );
    return marked;
  }
}
