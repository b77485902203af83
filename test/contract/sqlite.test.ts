import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { sqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/app.js';
import { storeContract } from './store-contract.js';

storeContract('SQLite', async () => {
  const dir = tempDir();
  return {
    open: () => sqliteStore(join(dir, 'contract.sqlite')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
