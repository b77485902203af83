/**
 * Opens the store a DATABASE_URL names: `postgres://` or `postgresql://` for PostgreSQL; a SQLite file as a path or a
 * `sqlite:` / `file:` URL. Any other scheme (`mysql://x`) is refused: read as a path it would silently create a
 * SQLite file named after the URL.
 */
import { resolve } from 'node:path';
import { B24EventsError } from '../protocol/errors.js';
import { postgresStore } from './postgres.js';
import type { Store } from './schema.js';
import { sqliteStore } from './sqlite.js';

export class UnsupportedDatabaseUrlError extends B24EventsError {
  constructor(scheme: string) {
    super(
      'unsupported_database_url',
      `The database URL's scheme "${scheme.slice(0, 20)}:" is not supported: give a SQLite file path (or sqlite:PATH, file:PATH) or a postgres:// URL.`,
      400,
    );
  }
}

export function openStore(url: string): Store {
  if (/^postgres(ql)?:\/\//i.test(url)) return postgresStore(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  // One letter is a Windows drive (C:\data\app.sqlite), not a scheme.
  if (scheme && scheme.length > 1 && !/^(sqlite|file)$/i.test(scheme)) throw new UnsupportedDatabaseUrlError(scheme);
  const path = url.replace(/^(sqlite|file):(\/\/)?/i, '');
  return sqliteStore(path === ':memory:' ? path : resolve(path));
}
