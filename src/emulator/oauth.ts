/**
 * The emulator's OAuth servers, as docs/protocol.md sections 4 and 7 describe Bitrix24's: token pairs per portal and user,
 * access tokens that expire, refresh tokens that work once, only at their own region's server and for a limited life
 * (180 days, docs/protocol.md#78-refresh-tokens-live-180-days), and the answers and error codes of /oauth/token/
 * (wrong_client with HTTP 200, invalid_client and invalid_grant with 400).
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
  /** When it stops working (milliseconds, the authority's clock). */
  expiresAt: number;
}

/** A refresh token's life on Bitrix24. */
export const REFRESH_TOKEN_TTL_SECONDS = 180 * 86_400;

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
  /** Refresh tokens that work no more and their portal (the latest 10,000), so a use counts against the right portal. */
  private readonly spent = new Map<string, string>();
  /** Refreshes answered per portal: `ok` and refused with `invalid_grant`. */
  private readonly perPortal = new Map<string, { ok: number; invalidGrant: number }>();

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
    readonly options: {
      accessTtlSeconds?: number;
      /** Default 180 days. */
      refreshTtlSeconds?: number;
      scope?: string;
      now?: () => number;
    } = {},
  ) {}

  /** What the OAuth server answered to refreshes of a portal's tokens so far. */
  refreshesOf(memberId: string): { ok: number; invalidGrant: number } {
    return { ...(this.perPortal.get(memberId) ?? { ok: 0, invalidGrant: 0 }) };
  }

  private count(memberId: string, outcome: 'ok' | 'invalidGrant'): void {
    const counts = this.perPortal.get(memberId) ?? { ok: 0, invalidGrant: 0 };
    counts[outcome]++;
    this.perPortal.set(memberId, counts);
  }

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
    const refreshTtl = this.options.refreshTtlSeconds ?? REFRESH_TOKEN_TTL_SECONDS;
    this.refresh.set(pair.refresh_token, {
      memberId: portal.memberId,
      userId,
      expiresAt: this.now() + refreshTtl * 1000,
    });
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

  /** Forgets every token of a portal (an uninstall), or only its refresh tokens (access tokens work until they expire). */
  revoke(memberId: string, only?: 'refresh'): void {
    if (only !== 'refresh')
      for (const [token, grant] of this.access) if (grant.memberId === memberId) this.access.delete(token);
    for (const [token, grant] of this.refresh) if (grant.memberId === memberId) this.retire(token, memberId);
  }

  /** A refresh token that works no more (spent or revoked), remembered so that a use of it counts against its portal. */
  private retire(token: string, memberId: string): void {
    this.refresh.delete(token);
    this.spent.set(token, memberId);
    if (this.spent.size > 10_000) this.spent.delete(this.spent.keys().next().value!);
  }

  /** /oauth/token/ of the given region's server (GET query or POST form, as the official SDKs send it). */
  answer(query: URLSearchParams, region: Region = 'west'): OAuthAnswer {
    if (query.get('client_id') !== this.clientId) return { status: 200, body: { error: 'wrong_client' } };
    if (query.get('client_secret') !== this.clientSecret) return { status: 400, body: { error: 'invalid_client' } };
    if (query.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const token = query.get('refresh_token') ?? '';
    const grant = this.refresh.get(token);
    const portal = grant && this.portals.get(grant.memberId);
    if (grant && grant.expiresAt <= this.now()) this.retire(token, grant.memberId);
    if (!grant || !portal || (portal.region ?? 'west') !== region || grant.expiresAt <= this.now()) {
      // A spent, expired or unknown refresh token: 400 with no description (docs/protocol.md#65-oauth-server-error-shapes).
      const owner = grant?.memberId ?? this.spent.get(token);
      if (owner) this.count(owner, 'invalidGrant');
      return { status: 400, body: { error: 'invalid_grant' } };
    }
    this.retire(token, grant.memberId);
    this.refreshes++;
    this.count(grant.memberId, 'ok');
    return { status: 200, body: this.issue(portal, grant.userId) };
  }
}
