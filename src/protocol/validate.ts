/** Checks a decoded payload against the event catalogue and reports every bad field at once. */
import type { z } from 'zod';
import { InvalidEventError, type FieldIssue } from './errors.js';
import { scrubSecrets } from './secrets.js';
import type { Payload } from './decode.js';
import { eventSchemaFor, rawSchemaFor, type AnyRawEvent, type B24Event } from './events.js';

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

/**
 * A `ts` ahead of this server's clock is accepted (refusing it would lose a real event from a portal whose clock is
 * off: Bitrix24 never resends); the permission ledger orders such a decision by its arrival instead (apply-event.ts).
 */
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

/** The payload as the inbox keeps it, whatever the event: see `scrubSecrets`. */
export function scrubPayload(raw: AnyRawEvent): Payload {
  return scrubSecrets(raw) as Payload;
}
