/**
 * Access tokens from the installations table, refreshed at the OAuth server one at a time per portal. A refresh
 * token works once: concurrent callers share one refresh, and the new pair is stored before anyone uses it.
 */
import { B24EventsError } from '../protocol/index.js';
import {
  credentialsFrom,
  hostOf,
  oauthServerFor,
  refreshTokens,
  tokenExpiry,
  type OAuthSettings,
} from '../rest/oauth.js';
import type { PortalAccess, TokenSource } from '../rest/client.js';
import { getInstallation, rateLimitOf, rotateTokens } from '../store/installations.js';
import type { Installation, Store } from '../store/schema.js';

export class PortalUnavailableError extends B24EventsError {
  constructor(memberId: string, why: string) {
    super('portal_unavailable', `REST calls to member_id ${memberId} are not possible: ${why}`, 409, { memberId });
  }
}

function accessOf(row: Installation): PortalAccess {
  if (row.status !== 'active') throw new PortalUnavailableError(row.member_id, `its installation is ${row.status}.`);
  if (!row.access_token || !row.client_endpoint) {
    throw new PortalUnavailableError(
      row.member_id,
      'the installation has no OAuth tokens (it was registered by hand, or uninstalled).',
    );
  }
  return {
    memberId: row.member_id,
    clientEndpoint: row.client_endpoint,
    accessToken: row.access_token,
    expiresAt: row.access_expires_at ? new Date(row.access_expires_at) : null,
    rateLimit: rateLimitOf(row),
  };
}

export class InstallationTokens implements TokenSource {
  private readonly inflight = new Map<string, Promise<PortalAccess>>();

  constructor(
    private readonly store: Store,
    private readonly oauth: OAuthSettings,
    /** Told of each refresh sent to an OAuth server: whether it answered new tokens. */
    private readonly onRefresh: (ok: boolean) => void = () => {},
  ) {}

  async current(memberId: string): Promise<PortalAccess> {
    const row = await getInstallation(this.store.db, memberId);
    if (!row) throw new PortalUnavailableError(memberId, 'no installation is known for it.');
    return accessOf(row);
  }

  refresh(memberId: string, stale: PortalAccess): Promise<PortalAccess> {
    let pending = this.inflight.get(memberId);
    if (!pending) {
      pending = this.refreshNow(memberId, stale).finally(() => this.inflight.delete(memberId));
      this.inflight.set(memberId, pending);
    }
    return pending;
  }

  private async refreshNow(memberId: string, stale: PortalAccess): Promise<PortalAccess> {
    const row = await getInstallation(this.store.db, memberId);
    if (!row) throw new PortalUnavailableError(memberId, 'no installation is known for it.');
    // Someone (another call, another instance) refreshed already: use theirs.
    if (row.access_token && row.access_token !== stale.accessToken) return accessOf(row);
    const credentials = credentialsFrom(this.oauth);
    if (!credentials)
      throw new PortalUnavailableError(
        memberId,
        'its token expired and B24_CLIENT_ID / B24_CLIENT_SECRET are not configured to refresh it.',
      );
    if (!row.refresh_token)
      throw new PortalUnavailableError(memberId, 'its token expired and there is no refresh token.');
    // The portal's own region's server (docs/protocol.md#73-two-oauth-servers); rows from before regions were kept: by server_endpoint.
    const server = oauthServerFor(this.oauth.servers, row.oauth_server ?? row.server_endpoint);
    if (!server)
      throw new PortalUnavailableError(
        memberId,
        `its OAuth server ${hostOf(row.oauth_server ?? row.server_endpoint)} is not in B24_OAUTH_URL.`,
      );
    const sent = refreshTokens(server, credentials, row.refresh_token);
    sent.then(
      () => this.onRefresh(true),
      () => this.onRefresh(false),
    );
    const answer = await sent.catch(async (error: unknown) => {
      // Another instance may have spent the refresh token first; then its new pair is in the store.
      const now = await getInstallation(this.store.db, memberId);
      if (now?.access_token && now.access_token !== stale.accessToken) return undefined;
      throw error;
    });
    if (!answer) return this.current(memberId);
    const at = new Date();
    await rotateTokens(this.store.db, memberId, row.refresh_token, {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      expiresAt: tokenExpiry(answer, at),
      at: at.toISOString(),
    });
    return this.current(memberId);
  }
}
