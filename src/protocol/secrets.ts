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
  // The installer frame's names for the same tokens (docs/protocol.md#74-apps-with-a-ui-install-in-the-administrators-browser).
  'AUTH_ID',
  'REFRESH_ID',
  // voximplant.user.get answers it in a parked call's result.
  'SIP_PASSWORD',
] as const;

const secretKeySet = new Set<string>(SECRET_KEYS.map((key) => key.toLowerCase()));

/** Whether a key names a secret, whatever its case (`TOKEN`, `Token`, `ACCESS_TOKEN`). */
export function isSecretKey(key: string): boolean {
  return secretKeySet.has(key.toLowerCase());
}

/** Stored payloads carry `sha256:<hex>` in place of a `TOKEN`: the permission ledger's key, not the secret. */
export const TOKEN_HASH_PREFIX = 'sha256:';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * How a token is kept where it must be found again but never used (the permission ledger's key, the inbox's record
 * of an event's application_token, a parked call's token): its sha256, in hex. Stored payloads carry
 * `sha256:<hex>` in place of a TOKEN, which this reads back as the hash it already is.
 */
export function tokenHash(token: string): string {
  return token.startsWith(TOKEN_HASH_PREFIX) ? token.slice(TOKEN_HASH_PREFIX.length) : sha256Hex(token);
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
    else out[key] = isSecretKey(key) ? REDACTED : redact(inner);
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
    if (typeof inner === 'string' && isSecretKey(key)) found.push(inner);
    else secretValuesIn(inner, found);
  }
  return found;
}

function scrubbedString(key: string, value: string): string {
  // A TOKEN (ONAPPMETHODCONFIRM's data.TOKEN, or a business event's) keeps its sha256: enough to match it, not to use it.
  return key.toLowerCase() === 'token' && value !== '' ? TOKEN_HASH_PREFIX + sha256Hex(value) : REDACTED;
}

function scrubAll(key: string, value: unknown): unknown {
  if (typeof value === 'string') return scrubbedString(key, value);
  if (Array.isArray(value)) return value.map((inner) => scrubAll(key, inner));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, inner]) => [k, scrubAll(key, inner)]));
}

/**
 * The copy of an event the inbox keeps, for every event, known or not: each string under a secret key (at any depth)
 * replaced by `[redacted]`, a TOKEN by `sha256:<hex>`; an `auth` object keeps its non-secret fields. The stored copy
 * of a known event still validates and normalises. The payload's depth is bounded by the decoder (limits.ts).
 */
export function scrubSecrets<T>(value: T): T {
  const walk = (inner: unknown): unknown => {
    if (Array.isArray(inner)) return inner.map(walk);
    if (inner === null || typeof inner !== 'object') return inner;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(inner)) {
      out[key] =
        key === 'auth' && v !== null && typeof v === 'object' && !Array.isArray(v)
          ? walk(v)
          : isSecretKey(key)
            ? scrubAll(key, v)
            : walk(v);
    }
    return out;
  };
  return walk(value) as T;
}
