/**
 * The dashboard's access: one shared DASHBOARD_TOKEN. A browser signs in once and holds a session cookie whose value
 * is a random nonce and an HMAC of it keyed by the token (never the token itself); the API also takes
 * `Authorization: Bearer <token>`. Every comparison is constant-time. A form's CSRF token is an HMAC of the session's
 * nonce, so it is tied to that session and needs no server-side state. Changing the token ends every session.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { secretsEqual } from '../../protocol/index.js';

export const SESSION_COOKIE = 'b24_dashboard';
export const SESSION_MS = 12 * 3600_000;

export interface Session {
  nonce: string;
  csrf: string;
}

export class DashboardAuth {
  constructor(private readonly token: string) {}

  private mac(purpose: string, value: string): string {
    return createHmac('sha256', this.token).update(`${purpose}:${value}`).digest('base64url');
  }

  tokenMatches(given: unknown): boolean {
    return typeof given === 'string' && given !== '' && secretsEqual(given, this.token);
  }

  /** A new session cookie's value: `<issued ms, base 36>-<random>.<mac>`. */
  newSession(now = Date.now()): string {
    const nonce = `${now.toString(36)}-${randomBytes(16).toString('base64url')}`;
    return `${nonce}.${this.mac('session', nonce)}`;
  }

  /** The session a cookie value proves, or undefined (forged, from another token, or older than SESSION_MS). */
  session(value: string | undefined, now = Date.now()): Session | undefined {
    if (!value) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const nonce = value.slice(0, dot);
    if (!secretsEqual(value.slice(dot + 1), this.mac('session', nonce))) return undefined;
    const issued = Number.parseInt(nonce.split('-')[0] ?? '', 36);
    if (!Number.isFinite(issued) || issued > now + 60_000 || now - issued > SESSION_MS) return undefined;
    return { nonce, csrf: this.mac('csrf', nonce) };
  }

  csrfMatches(session: Session, given: unknown): boolean {
    return typeof given === 'string' && secretsEqual(given, session.csrf);
  }

  bearerMatches(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return match !== null && this.tokenMatches(match[1]);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function sessionCookie(
  value: string,
  request: FastifyRequest,
  path: string,
  maxAgeSeconds = SESSION_MS / 1000,
): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** Whether a POST comes from a page of this same host: its Origin (or, failing that, Referer) names this host. */
export function sameOrigin(request: FastifyRequest): boolean {
  const claimed = request.headers.origin ?? request.headers.referer;
  if (typeof claimed !== 'string' || !URL.canParse(claimed)) return false;
  const own = `${request.protocol}://${request.host}`;
  return URL.canParse(own) && new URL(claimed).origin === new URL(own).origin;
}
