/**
 * The Bitrix24 OAuth servers: refreshing a token pair. Used to prove an install genuine and to keep access tokens
 * fresh (docs/protocol.md#4-verification). Bitrix24 has one server per region (docs/protocol.md#73-two-oauth-servers);
 * a portal's server is the configured one whose origin is the origin of its `server_endpoint`. A URL from a request
 * only ever selects from that list, never adds to it.
 */
import * as z from 'zod';
import { B24EventsError } from '../protocol/index.js';

/** West (oauth.bitrix.info) and east (oauth.bitrix24.tech: ru, by, kz, am, az, ge, kg, uz portals). */
export const DEFAULT_OAUTH_SERVERS = ['https://oauth.bitrix.info', 'https://oauth.bitrix24.tech'] as const;

/** A configuration that cannot work; thrown when the app is created, never per request. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * The allowlist of OAuth servers, from `B24_OAUTH_URL` (a comma-separated list) or the option. Each entry must be
 * an http(s) URL without path, query or credentials; the list names each origin once.
 */
export function parseOAuthServers(value: string | readonly string[] | undefined): string[] {
  const entries = (typeof value === 'string' ? value.split(',') : (value ?? DEFAULT_OAUTH_SERVERS))
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0)
    throw new ConfigurationError('B24_OAUTH_URL names no OAuth server; leave it unset for the default.');
  const origins = entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigurationError(`B24_OAUTH_URL: "${entry}" is not a URL (expected e.g. https://oauth.bitrix.info).`);
    }
    if (
      !/^https?:$/.test(url.protocol) ||
      url.username ||
      url.password ||
      url.search ||
      url.hash ||
      url.pathname !== '/'
    ) {
      throw new ConfigurationError(
        `B24_OAUTH_URL: "${entry}" must be an http(s) origin such as https://oauth.bitrix.info, with no path.`,
      );
    }
    return url.origin;
  });
  const twice = origins.find((o, i) => origins.indexOf(o) !== i);
  if (twice) throw new ConfigurationError(`B24_OAUTH_URL names ${twice} twice.`);
  return origins;
}

/** Refused before any request: the event names an OAuth server that is not on the configured list. */
export class UnknownOAuthServerError extends B24EventsError {
  constructor(memberId: string, host: string) {
    super(
      'unknown_oauth_server',
      `The event from member_id ${memberId} names the OAuth server ${host}, which is not in B24_OAUTH_URL; nothing was sent to it. Add its origin to B24_OAUTH_URL if it is a Bitrix24 server.`,
      403,
      { memberId, host },
    );
  }
}

/** The listed server whose origin is the origin of `serverEndpoint`, or undefined. */
export function oauthServerFor(
  servers: readonly string[],
  serverEndpoint: string | null | undefined,
): string | undefined {
  if (!serverEndpoint || !URL.canParse(serverEndpoint)) return undefined;
  const origin = new URL(serverEndpoint).origin;
  return servers.find((server) => server === origin);
}

/** The host an endpoint names, for messages (never the whole URL, which a forger chose). */
export function hostOf(url: string | null | undefined): string {
  return url && URL.canParse(url) ? new URL(url).host : '(none)';
}

const tokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.coerce.number().optional(),
  expires: z.coerce.number().optional(),
  member_id: z.string().min(1),
  client_endpoint: z.string().optional(),
  server_endpoint: z.string().optional(),
  domain: z.string().optional(),
  scope: z.string().optional(),
  status: z.string().optional(),
  user_id: z.coerce.string().optional(),
});
export type TokenAnswer = z.output<typeof tokenAnswer>;

export interface OAuthCredentials {
  clientId: string;
  clientSecret: string;
  timeoutMs?: number | undefined;
}

/** The app's configuration, where the credentials may be missing. */
export type OAuthSettings = Partial<OAuthCredentials> & { servers: readonly string[] };

/** The credentials to refresh with, or undefined when the app has none configured. */
export function credentialsFrom(settings: OAuthSettings): OAuthCredentials | undefined {
  const { clientId, clientSecret, timeoutMs } = settings;
  return clientId && clientSecret ? { clientId, clientSecret, timeoutMs } : undefined;
}

const errorCodeOf = (body: unknown, fallback: string): string => {
  const error = (body as { error?: unknown } | undefined)?.error;
  return typeof error === 'string' ? error : fallback;
};

/** Why a refresh failed, without any secret: the OAuth error code, or what went wrong on the way. */
export class OAuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OAuthError';
  }
}

/** One refresh at `server` (an entry of the allowlist). Bitrix24 answers some errors with HTTP 200. */
export async function refreshTokens(
  server: string,
  credentials: OAuthCredentials,
  refreshToken: string,
): Promise<TokenAnswer> {
  const url = new URL('/oauth/token/', server);
  url.search = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    refresh_token: refreshToken,
  }).toString();
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(credentials.timeoutMs ?? 10_000) });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new OAuthError(
      timedOut ? 'oauth_timeout' : 'oauth_unreachable',
      `The OAuth server at ${url.origin} ${timedOut ? 'did not answer in time' : 'could not be reached'}.`,
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok || body === undefined || (body as { error?: unknown }).error !== undefined) {
    const code = errorCodeOf(body, 'oauth_error');
    throw new OAuthError(
      code,
      `The OAuth server at ${url.origin} refused the refresh (HTTP ${response.status}, ${code}).`,
    );
  }
  const parsed = tokenAnswer.safeParse(body);
  if (!parsed.success) {
    const code = errorCodeOf(body, 'oauth_bad_answer');
    throw new OAuthError(code, `The OAuth server at ${url.origin} answered without a usable token pair (${code}).`);
  }
  return parsed.data;
}

/** When an access token stops working: `expires` (unix seconds) if given, else now + `expires_in` (default 1 h). */
export function tokenExpiry(
  answer: { expires?: string | number | undefined; expires_in?: string | number | undefined },
  now: Date,
): string {
  // An answer outside what a Date can hold (or not a number) counts as an access token's usual hour, never a throw.
  const at = answer.expires ? Number(answer.expires) * 1000 : now.getTime() + Number(answer.expires_in ?? 3600) * 1000;
  const usable = Number.isFinite(at) && Math.abs(at) <= 8.64e15;
  return new Date(usable ? at : now.getTime() + 3600_000).toISOString();
}
