/**
 * Which database failures mean "the database cannot be reached or written right now" (answered 503: Bitrix24 logs it,
 * nothing was stored, the app recovers by itself when the database is back) rather than a bug (500).
 */
import { B24EventsError } from '../protocol/errors.js';

export class StoreUnavailableError extends B24EventsError {
  constructor(readonly underlying: unknown) {
    super(
      'store_unavailable',
      'The database cannot be reached or written right now; nothing was stored. Try again later.',
      503,
    );
  }
}

/** Node socket errors, PostgreSQL SQLSTATE classes 08 (connection), 53 (resources), 57P (shutdown), 3D000 (no such database). */
const PG_UNAVAILABLE = /^(08|53|57P|3D000|55000)/;
const NODE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** better-sqlite3 codes: the file is locked past the busy timeout, unreadable, full or read-only. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL)/;
/** pg's own messages for a connection that went away or never came. */
const PG_CLIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i;

export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (PG_UNAVAILABLE.test(code) || NODE_UNAVAILABLE.has(code) || SQLITE_UNAVAILABLE.test(code))
  )
    return true;
  if (PG_CLIENT_MESSAGES.test(error.message)) return true;
  const causes = error as { errors?: unknown; cause?: unknown };
  if (Array.isArray(causes.errors) && causes.errors.some(isStoreUnavailable)) return true; // AggregateError (IPv4 + IPv6)
  return causes.cause !== undefined && causes.cause !== error && isStoreUnavailable(causes.cause);
}

/** The 503 for a database that is away, or undefined when the error is something else. */
export function storeUnavailable(error: unknown): StoreUnavailableError | undefined {
  return isStoreUnavailable(error) ? new StoreUnavailableError(error) : undefined;
}
