/**
 * Offline events, pure (docs/protocol.md#8-offline-events): the shapes of `event.offline.get` and
 * `event.offline.list` answers, what makes a queue record usable, and the object key that ties a record to the online
 * events about the same object.
 *
 * A record's EVENT_DATA is "the same as passed to the handler of an online event" (for CRM events `FIELDS.ID`), and
 * its MESSAGE_ID is a hash of the event name and that data. So the object key here is the same idea computed on our
 * side: sha256 of the event name and the data, scalars compared as strings (a form-encoded online delivery carries
 * `"42"`, a JSON answer may carry `42`).
 */
import * as z from 'zod';
import { sha256Hex } from './secrets.js';

const text = z.union([z.string(), z.number()]).transform(String);

/** One queue record as `event.offline.get` answers it (`docs: api-reference/events/event-offline-get.md`). */
export const offlineRecordSchema = z.looseObject({
  ID: text,
  TIMESTAMP_X: z.string(),
  EVENT_NAME: z.string().optional().default(''),
  /** The event's data, or `false` / `null` when it has none. */
  EVENT_DATA: z.unknown().optional(),
  /** `{user_id}` of whoever made the change, or `false`. */
  EVENT_ADDITIONAL: z.unknown().optional(),
  MESSAGE_ID: text,
});

/** `result` of `event.offline.get`: `process_id` (null when reading deleted the records) and the records. */
export const offlineBatchSchema = z.looseObject({
  process_id: z.string().nullable().optional().default(null),
  events: z.array(offlineRecordSchema).default([]),
});

export type OfflineRecord = z.output<typeof offlineRecordSchema>;
export type OfflineBatch = z.output<typeof offlineBatchSchema>;

/** `event.offline.list` adds PROCESS_ID (empty until reserved) and ERROR ("1" marked failed). */
export const offlineListEntrySchema = offlineRecordSchema.extend({
  PROCESS_ID: z.string().nullable().optional(),
  ERROR: text.optional(),
});

/** Bitrix24's event names: ON followed by letters, digits and underscores (any case). */
export const EVENT_NAME_PATTERN = /^on[a-z0-9_]+$/i;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  return value === null || value === undefined ? '' : String(value);
}

/** Whether the data names an object: at least one non-empty scalar somewhere in it. */
export function hasIds(data: unknown): boolean {
  if (data === null || data === undefined || data === false) return false;
  if (typeof data !== 'object') return String(data) !== '';
  return Object.values(data as Record<string, unknown>).some(hasIds);
}

/** The object an event is about: its name and its ids, however they were encoded. Undefined when it names none. */
export function objectKey(event: string, data: unknown): string | undefined {
  if (!hasIds(data)) return undefined;
  return sha256Hex(`${event.toUpperCase()}\n${JSON.stringify(canonical(data))}`);
}

/** Events about the portal's objects (not the app's lifecycle, not the queue's signal) have an object key. */
export function businessObjectKey(event: string, data: unknown): string | undefined {
  const name = event.toUpperCase();
  return name.startsWith('ONAPP') || name === 'ONOFFLINEEVENT' ? undefined : objectKey(name, data);
}

/**
 * TIMESTAMP_X as unix milliseconds. Whole seconds with an offset (`2024-07-18T12:32:31+02:00`); NaN when it is not
 * a date.
 */
export const offlineTimestamp = (value: string): number => Date.parse(value);

/** Why a record cannot be stored as an event, or undefined when it can. */
export function offlineRecordProblem(record: OfflineRecord, handled: (event: string) => boolean): string | undefined {
  const name = record.EVENT_NAME.toUpperCase();
  if (!EVENT_NAME_PATTERN.test(name)) return 'EVENT_NAME: not an event name';
  if (!handled(name)) return `EVENT_NAME: the app has no handler for ${name.slice(0, 64)}`;
  if (Number.isNaN(offlineTimestamp(record.TIMESTAMP_X))) return 'TIMESTAMP_X: not a date';
  if (!hasIds(record.EVENT_DATA)) return 'EVENT_DATA: no object ids';
  return undefined;
}
