/**
 * The emulator's OAuth server, as docs/protocol.md section 4 describes Bitrix24's: token pairs per portal, access tokens
 * that expire, refresh tokens that work once, and the JSON answers and error codes of /oauth/token/.
 */
import { randomBytes } from 'node:crypto';

export interface PortalIdentity {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires: number;
  expires_in: number;
  scope: string;
  domain: string;
  server_endpoint: string;
  status: string;
  client_endpoint: string;
  member_id: string;
  user_id: number;
}

interface AccessGrant {
  memberId: string;
  expiresAt: number;
}

export const newSecret = (bytes = 16): string => randomBytes(bytes).toString('hex');

export class OAuthAuthority {
  private readonly access = new Map<string, AccessGrant>();
  private readonly refresh = new Map<string, string>();
  private readonly portals = new Map<string, PortalIdentity>();
  /** Successful refreshes, for tests that count them. */
  refreshes = 0;

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
    readonly options: { accessTtlSeconds?: number; scope?: string; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** A fresh token pair for a portal, as an install or a refresh hands out. */
  issue(portal: PortalIdentity): TokenPair {
    this.portals.set(portal.memberId, portal);
    const ttl = this.options.accessTtlSeconds ?? 3600;
    const pair = {
      access_token: newSecret(),
      refresh_token: newSecret(),
      expires: Math.floor(this.now() / 1000) + ttl,
      expires_in: ttl,
      scope: this.options.scope ?? 'app,user,telephony,crm',
      domain: 'oauth.bitrix.info',
      server_endpoint: portal.serverEndpoint,
      status: 'L',
      client_endpoint: portal.clientEndpoint,
      member_id: portal.memberId,
      user_id: 1,
    };
    this.access.set(pair.access_token, { memberId: portal.memberId, expiresAt: pair.expires * 1000 });
    this.refresh.set(pair.refresh_token, portal.memberId);
    return pair;
  }

  /** Which portal an access token belongs to, or why it does not work. */
  check(accessToken: string): { memberId: string } | { error: 'expired_token' | 'invalid_token' } {
    const grant = this.access.get(accessToken);
    if (!grant) return { error: 'invalid_token' };
    if (grant.expiresAt <= this.now()) return { error: 'expired_token' };
    return { memberId: grant.memberId };
  }

  /** Makes every access token of a portal expire now (refresh tokens keep working). */
  expireAll(memberId: string): number {
    let count = 0;
    for (const grant of this.access.values()) {
      if (grant.memberId === memberId && grant.expiresAt > this.now()) {
        grant.expiresAt = 0;
        count++;
      }
    }
    return count;
  }

  /** Forgets every token of a portal (an uninstall). */
  revoke(memberId: string): void {
    for (const [token, grant] of this.access) if (grant.memberId === memberId) this.access.delete(token);
    for (const [token, owner] of this.refresh) if (owner === memberId) this.refresh.delete(token);
  }

  /** GET /oauth/token/ */
  answer(query: URLSearchParams): { status: number; body: object } {
    if (query.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'invalid_request', error_description: 'grant_type must be refresh_token' } };
    if (query.get('client_id') !== this.clientId || query.get('client_secret') !== this.clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Invalid client credentials' } };
    }
    const memberId = this.refresh.get(query.get('refresh_token') ?? '');
    const portal = memberId && this.portals.get(memberId);
    if (!portal) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } };
    this.refresh.delete(query.get('refresh_token')!);
    this.refreshes++;
    return { status: 200, body: this.issue(portal) };
  }
}
