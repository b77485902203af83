/** Opens the store a DATABASE_URL names: postgres:// for PostgreSQL, else a SQLite file path (or `sqlite:`/`file:` URL). */
import { resolve } from 'node:path';
import { postgresStore } from './postgres.js';
import type { Store } from './schema.js';
import { sqliteStore } from './sqlite.js';

export function openStore(url: string): Store {
  if (/^postgres(ql)?:\/\//i.test(url)) return postgresStore(url);
  const path = url.replace(/^(sqlite|file):(\/\/)?/i, '');
  return sqliteStore(path === ':memory:' ? path : resolve(path));
}
