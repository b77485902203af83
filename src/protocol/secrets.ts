/**
 * The one place that knows which values are secrets and how to hide them. The logger, the error formatter, the
 * inbox and the CLI all go through here. What it does not catch: a secret copied into a field of another name, or
 * a secret inside a free-text string that was never handed to `redactText` as a known value.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear (payloads, options, installations, headers). */
export const SECRET_KEYS = [
  'application_token',
  'applicationToken',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'TOKEN',
  'token',
  'auth',
  'authorization',
] as const;

const secretKeySet = new Set<string>(SECRET_KEYS);

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** How a person tells tokens apart without seeing them: the first 12 hex characters of the sha256. */
export function fingerprint(secret: string): string {
  return sha256Hex(secret).slice(0, 12);
}

export function fingerprintOfHash(tokenHash: string): string {
  return tokenHash.slice(0, 12);
}

/** Constant-time equality of two secrets, whatever their lengths. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** A deep copy with every value under a secret key replaced. `auth` blocks keep their non-secret fields. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'auth' && inner !== null && typeof inner === 'object') out[key] = redact(inner);
    else out[key] = secretKeySet.has(key) ? REDACTED : redact(inner);
  }
  return out;
}

/** Replaces each known secret value that occurs in a free text (an error message, a stack). */
export function redactText(text: string, secrets: Iterable<string | null | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Every string under a secret key, for `redactText`. */
export function secretValuesIn(value: unknown, found: string[] = []): string[] {
  if (value === null || typeof value !== 'object') return found;
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'string' && secretKeySet.has(key)) found.push(inner);
    else secretValuesIn(inner, found);
  }
  return found;
}
