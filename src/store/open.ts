/** Opens the store a DATABASE_URL names: a SQLite file path (or `sqlite:`/`file:` URL). */
import { resolve } from 'node:path';
import type { Store } from './schema.js';
import { sqliteStore } from './sqlite.js';

export class UnsupportedDatabaseError extends Error {
  constructor(url: string) {
    super(`"${url.split(':')[0]}:" databases are not supported yet; give a SQLite file path such as ./data/b24-events.sqlite.`);
    this.name = 'UnsupportedDatabaseError';
  }
}

export function openStore(url: string): Store {
  if (/^postgres(ql)?:/i.test(url)) throw new UnsupportedDatabaseError(url);
  const path = url.replace(/^(sqlite|file):(\/\/)?/i, '');
  return sqliteStore(path === ':memory:' ? path : resolve(path));
}
