/**
 * The emulator's OAuth servers, as docs/protocol.md sections 4 and 7 describe Bitrix24's: token pairs per portal and user,
 * access tokens that expire, refresh tokens that work once and only at their own region's server, and the answers
 * and error codes of /oauth/token/ (wrong_client with HTTP 200, invalid_client and invalid_grant with 400).
 */
import { randomBytes } from 'node:crypto';

/** West portals refresh at oauth.bitrix.info, east ones (ru, by, kz, ...) at oauth.bitrix24.tech. */
export type Region = 'west' | 'east';

export const REGIONS: readonly Region[] = ['west', 'east'];

/** What the OAuth answers say in `domain`: the OAuth server's host, never the portal's. */
export const OAUTH_DOMAIN: Record<Region, string> = { west: 'oauth.bitrix.info', east: 'oauth.bitrix24.tech' };

export interface PortalIdentity {
  memberId: string;
  domain: string;
  /** Default west. */
  region?: Region;
  clientEndpoint: string;
  serverEndpoint: string;
}

export interface TokenPair {
  access_token: string;
  expires: number;
  expires_in: number;
  scope: string;
  domain: string;
  server_endpoint: string;
  status: string;
  client_endpoint: string;
  member_id: string;
  user_id: number;
  refresh_token: string;
}

interface AccessGrant {
  memberId: string;
  userId: number;
  expiresAt: number;
}

interface RefreshGrant {
  memberId: string;
  userId: number;
}

export const newSecret = (bytes = 16): string => randomBytes(bytes).toString('hex');

export interface OAuthAnswer {
  status: number;
  body: object;
}

export class OAuthAuthority {
  private readonly access = new Map<string, AccessGrant>();
  private readonly refresh = new Map<string, RefreshGrant>();
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

  /** A fresh token pair for a user of a portal, as an install, an event or a refresh hands out. */
  issue(portal: PortalIdentity, userId = 1): TokenPair {
    this.portals.set(portal.memberId, portal);
    const ttl = this.options.accessTtlSeconds ?? 3600;
    const pair: TokenPair = {
      access_token: newSecret(),
      expires: Math.floor(this.now() / 1000) + ttl,
      expires_in: ttl,
      scope: this.options.scope ?? 'app,user,telephony,crm',
      domain: OAUTH_DOMAIN[portal.region ?? 'west'],
      server_endpoint: portal.serverEndpoint,
      status: 'L',
      client_endpoint: portal.clientEndpoint,
      member_id: portal.memberId,
      user_id: userId,
      refresh_token: newSecret(),
    };
    this.access.set(pair.access_token, { memberId: portal.memberId, userId, expiresAt: pair.expires * 1000 });
    this.refresh.set(pair.refresh_token, { memberId: portal.memberId, userId });
    return pair;
  }

  /** Which portal and user an access token belongs to, or why it does not work. */
  check(accessToken: string): { memberId: string; userId: number } | { error: 'expired_token' | 'invalid_token' } {
    const grant = this.access.get(accessToken);
    if (!grant) return { error: 'invalid_token' };
    if (grant.expiresAt <= this.now()) return { error: 'expired_token' };
    return { memberId: grant.memberId, userId: grant.userId };
  }

  /** Seconds an access token has left (0 when expired or unknown). */
  secondsLeft(accessToken: string): number {
    const grant = this.access.get(accessToken);
    return grant ? Math.max(0, Math.floor((grant.expiresAt - this.now()) / 1000)) : 0;
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
    for (const [token, grant] of this.refresh) if (grant.memberId === memberId) this.refresh.delete(token);
  }

  /** /oauth/token/ of the given region's server (GET query or POST form, as the official SDKs send it). */
  answer(query: URLSearchParams, region: Region = 'west'): OAuthAnswer {
    if (query.get('client_id') !== this.clientId) return { status: 200, body: { error: 'wrong_client' } };
    if (query.get('client_secret') !== this.clientSecret) return { status: 400, body: { error: 'invalid_client' } };
    if (query.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const token = query.get('refresh_token') ?? '';
    const grant = this.refresh.get(token);
    const portal = grant && this.portals.get(grant.memberId);
    if (!grant || !portal || (portal.region ?? 'west') !== region)
      return { status: 400, body: { error: 'invalid_grant' } };
    this.refresh.delete(token);
    this.refreshes++;
    return { status: 200, body: this.issue(portal, grant.userId) };
  }
}
