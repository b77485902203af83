/**
 * What /readyz reports: the store answers, its migrations are applied, and the workers run (where this process runs
 * them). Each check says why it failed, without a secret: a connection error's text names hosts, not passwords,
 * but it is cut short and stripped of URLs all the same.
 */
import type { Store } from '../store/schema.js';
import { latestMigration } from '../store/stats.js';

export type WorkerState = 'running' | 'off' | 'not started' | 'stopped';

export interface Readiness {
  ready: boolean;
  checks: { store: string; migrations: string; workers: WorkerState };
  /** Why it is not ready, for a person; absent when ready. */
  reason?: string;
}

const TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const said = (error: unknown) =>
  (error instanceof Error ? error.message : String(error))
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[url]')
    .slice(0, 200);

export async function checkReadiness(
  store: Store,
  ready: () => Promise<void>,
  workers: () => WorkerState,
): Promise<Readiness> {
  const checks: Readiness['checks'] = { store: 'unknown', migrations: 'unknown', workers: workers() };
  try {
    await withTimeout(ready(), 'the store');
  } catch (error) {
    return {
      ready: false,
      checks: { ...checks, store: 'unreachable' },
      reason: `the store could not be opened or migrated: ${said(error)}`,
    };
  }
  try {
    const latest = await withTimeout(latestMigration(store.db), 'the store');
    checks.store = 'ok';
    if (!latest) return { ready: false, checks: { ...checks, migrations: 'none' }, reason: 'no migration is applied' };
    checks.migrations = latest;
  } catch (error) {
    return {
      ready: false,
      checks: { ...checks, store: 'unreachable' },
      reason: `the store does not answer: ${said(error)}`,
    };
  }
  checks.workers = workers();
  if (checks.workers === 'not started' || checks.workers === 'stopped')
    return { ready: false, checks, reason: `the workers are ${checks.workers}` };
  return { ready: true, checks };
}
