/** Checks a decoded payload against the event catalogue and reports every bad field at once. */
import type { z } from 'zod';
import { InvalidEventError, type FieldIssue } from './errors.js';
import { REDACTED, secretValuesIn } from './secrets.js';
import type { Payload } from './decode.js';
import { eventSchemaFor, rawSchemaFor, TOKEN_HASH_PREFIX, tokenHashOf, type AnyRawEvent, type B24Event } from './events.js';

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}

/** Bitrix24 sends names in upper case; a lower-case name (from a hand-made request) means the same event. */
function withUpperCaseName(payload: Payload): Payload {
  return typeof payload.event === 'string' ? { ...payload, event: payload.event.toUpperCase() } : payload;
}

export function parseRawEvent(payload: Payload): AnyRawEvent {
  const named = withUpperCaseName(payload);
  if (typeof named.event !== 'string' || named.event === '') {
    throw new InvalidEventError([{ path: 'event', message: 'required' }]);
  }
  const result = rawSchemaFor(named.event).safeParse(named);
  if (!result.success) throw new InvalidEventError(issuesOf(result.error));
  return result.data;
}

/** The normalised view of a payload that passed `parseRawEvent` (or its scrubbed copy from the inbox). */
export function normaliseEvent(payload: unknown): B24Event<string> {
  const named = withUpperCaseName(payload as Payload);
  return eventSchemaFor(String(named.event)).parse(named);
}

/**
 * The payload as the inbox keeps it: tokens replaced by a marker, ONAPPMETHODCONFIRM's TOKEN by its sha256,
 * so that the stored copy still validates and normalises but holds no secret.
 */
export function scrubPayload(raw: AnyRawEvent): Payload {
  const copy = structuredClone(raw) as Payload;
  const auth = copy.auth as Payload;
  for (const key of ['application_token', 'access_token', 'refresh_token']) {
    if (key in auth) auth[key] = REDACTED;
  }
  const data = copy.data as Payload | undefined;
  if (copy.event === 'ONAPPMETHODCONFIRM' && data && typeof data.TOKEN === 'string') {
    data.TOKEN = TOKEN_HASH_PREFIX + tokenHashOf(data.TOKEN);
  }
  return copy;
}

/** The secret values one raw event carries, to be cut out of any error text that mentions them. */
export function secretsOf(raw: AnyRawEvent): string[] {
  return secretValuesIn(raw);
}
