import { describe } from 'node:test';
import { postgresStore } from '../../src/store/postgres.js';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { storeContract } from './store-contract.js';

const unavailable = await postgresUnavailable();

describe(
  'store contract: PostgreSQL',
  storeContract(async () => {
    const database = await freshDatabase();
    return { open: () => postgresStore(database.url), cleanup: () => database.drop() };
  }, unavailable ?? false),
);
