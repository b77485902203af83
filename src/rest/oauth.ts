/**
 * The Bitrix24 OAuth server: refreshing a token pair. Used to prove an ONAPPINSTALL genuine (PROTOCOL.md 4) and,
 * later, to keep access tokens fresh. The URL always comes from configuration, never from a request.
 */
import { z } from 'zod';

export const DEFAULT_OAUTH_URL = 'https://oauth.bitrix.info';

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
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number | undefined;
}

/** The app's configuration, where the credentials may be missing. */
export type OAuthSettings = Partial<OAuthCredentials> & { oauthUrl: string };

/** The credentials to refresh with, or undefined when the app has none configured. */
export function credentialsFrom(settings: OAuthSettings): OAuthCredentials | undefined {
  const { oauthUrl, clientId, clientSecret, timeoutMs } = settings;
  return clientId && clientSecret ? { oauthUrl, clientId, clientSecret, timeoutMs } : undefined;
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

export async function refreshTokens(credentials: OAuthCredentials, refreshToken: string): Promise<TokenAnswer> {
  const url = new URL('/oauth/token/', credentials.oauthUrl);
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
  if (!response.ok || body === undefined) {
    const code = errorCodeOf(body, 'oauth_error');
    throw new OAuthError(code, `The OAuth server at ${url.origin} refused the refresh (HTTP ${response.status}, ${code}).`);
  }
  const parsed = tokenAnswer.safeParse(body);
  if (!parsed.success) {
    const code = errorCodeOf(body, 'oauth_bad_answer');
    throw new OAuthError(code, `The OAuth server at ${url.origin} answered without a usable token pair (${code}).`);
  }
  return parsed.data;
}

/** When an access token from this answer stops working. */
export function expiryOf(answer: TokenAnswer, now = Date.now()): Date {
  if (answer.expires) return new Date(answer.expires * 1000);
  return new Date(now + (answer.expires_in ?? 3600) * 1000);
}
