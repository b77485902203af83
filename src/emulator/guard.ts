/**
 * What keeps a tool on a developer's machine from being driven by the web pages that developer visits:
 * the Host header must name the emulator (no DNS rebinding), every body is limited, and the administrator's
 * actions take only same-origin requests (JSON, or the page's own forms with their CSRF token).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 1024 * 1024;

export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** The Host values this listener answers to: loopback names (and the address it listens on) with its port. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  if (!WILDCARDS.has(host)) names.add(host.includes(':') ? `[${host}]` : host);
  return new Set([...names].map((name) => `${name}:${port}`.toLowerCase()));
}

/** 421 unless the request was addressed to the emulator by a name it knows (a rebound DNS name is not one). */
export function checkHost(headers: IncomingHttpHeaders, allowed: Set<string>): string {
  const host = (headers.host ?? '').toLowerCase();
  if (!allowed.has(host))
    throw new Refusal(
      421,
      'misdirected_request',
      'This emulator answers only to 127.0.0.1 or localhost with its port in the Host header.',
    );
  return host;
}

/** The body as text, refused with 413 past `limit` bytes (by Content-Length, or while it streams). */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new Refusal(413, 'payload_too_large', `The body is larger than ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Refusal(413, 'payload_too_large', `The body is larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The administrator's changes: a browser tells where a request comes from (Origin, Sec-Fetch-Site); anything but
 * the emulator's own origin is refused. JSON cannot be posted across origins without a preflight the emulator never
 * grants; a form can, so a form must carry the page's CSRF token. Command-line clients send JSON and no Origin.
 */
export function checkAdminChange(
  headers: IncomingHttpHeaders,
  ownOrigin: string,
  kind: 'form' | 'json' | undefined,
  csrf: unknown,
  expectedCsrf: string,
): void {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new Refusal(
      403,
      'cross_origin',
      'Administrator actions are taken only from the emulator’s own pages or its command line.',
    );
  const origin = headers.origin;
  if (origin !== undefined && origin !== ownOrigin)
    throw new Refusal(
      403,
      'cross_origin',
      'Administrator actions are taken only from the emulator’s own pages or its command line.',
    );
  if (kind === 'json') return;
  if (kind === 'form') {
    if (typeof csrf === 'string' && sameSecret(csrf, expectedCsrf)) return;
    throw new Refusal(403, 'csrf_token', 'The form has no valid CSRF token: reload the emulator page and try again.');
  }
  throw new Refusal(
    415,
    'unsupported_media_type',
    'Administrator actions take a JSON body (content-type: application/json).',
  );
}

/** Headers for the emulator's own pages: not to be framed by other sites, not cached (some hold tokens). */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "frame-ancestors 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;
