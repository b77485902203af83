/**
 * The offline side of the app, wired once: the reconciler task on the runner, what `bind` asks for, the start-up
 * catch-up (every portal's queue is read after a start, for what happened while the app was down), and `app.offline`.
 */
import { ConfigurationError } from '../rest/oauth.js';
import type { RestClient } from '../rest/client.js';
import { isBusinessEvent, type BindPlan } from '../core/binding.js';
import type { Logger } from '../core/logger.js';
import {
  defaultOfflineSettings,
  shareOfRate,
  type Delivery,
  type OfflineSettings,
  type RestBudget,
} from '../core/offline-settings.js';
import { OfflineTask, type ReconcileObserver } from '../core/offline-task.js';
import { offlineSyncView, type OfflineStatus } from '../core/views.js';
import { listInstallations } from '../store/installations.js';
import { ensureOfflineSync, listOfflineSync, makeOfflineSyncDue } from '../store/offline-sync.js';
import type { Store } from '../store/schema.js';

export interface OfflineApi {
  /** The source key the app's offline bindings use: pass it as `auth_connector` on your own writes so they are not queued back. */
  readonly authConnector: string;
  /** Per portal: last reconciliation, records recovered, matched and failed, backlog, errors. */
  status(memberId?: string): Promise<OfflineStatus[]>;
  /** Reconciles one portal (or every one) now. */
  reconcile(memberId?: string): Promise<void>;
}

export interface OfflineWiringOptions {
  store: Store;
  rest: RestClient;
  delivery: Delivery;
  settings: Partial<OfflineSettings> | undefined;
  /** The seam for a budget shared across instances; default: `budgetShare` of `rest.rateLimit`, in this process. */
  budget: RestBudget | undefined;
  /** The events the app registered with `app.on` (upper case). */
  registered: () => Iterable<string>;
  log: Logger;
  observe: ReconcileObserver;
  ready: () => Promise<void>;
  wake: () => void;
}

function checkSettings(delivery: Delivery, settings: OfflineSettings): void {
  if (!['online', 'safety-net', 'pull'].includes(delivery))
    throw new ConfigurationError(
      `delivery must be 'online', 'safety-net' or 'pull', not "${String(delivery).slice(0, 20)}".`,
    );
  if (!(settings.budgetShare > 0 && settings.budgetShare <= 1))
    throw new ConfigurationError('offline.budgetShare must be a share of the REST rate above 0 and at most 1.');
  if (!(Number.isInteger(settings.batchSize) && settings.batchSize >= 1))
    throw new ConfigurationError('offline.batchSize must be a whole number of at least 1.');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(settings.authConnector))
    throw new ConfigurationError('offline.authConnector must be 1-64 letters, digits, "_", "." or "-".');
}

export function offlineWiring(options: OfflineWiringOptions) {
  const { store, delivery, log } = options;
  const settings = { ...defaultOfflineSettings, ...options.settings };
  checkSettings(delivery, settings);
  const business = () => [...options.registered()].filter(isBusinessEvent);
  const handled = (event: string) => business().includes(event.toUpperCase());
  const task = new OfflineTask(
    store,
    options.rest,
    options.budget ?? shareOfRate(options.rest.settings.rateLimit, settings.budgetShare),
    { ...settings, intervalMs: delivery === 'pull' ? settings.pullIntervalMs : settings.timerMs },
    handled,
    log.child({ task: 'offline' }),
    options.observe,
  );
  const plan = (publicUrl: string | undefined): BindPlan => ({
    publicUrl,
    delivery,
    authConnector: settings.authConnector,
    signalMinTimeout: settings.signalMinTimeout,
  });

  /** After a start: every active portal's queue is due now (what happened while the app was down). */
  async function catchUp(): Promise<void> {
    if (delivery === 'online' || business().length === 0) return;
    const now = new Date().toISOString();
    const known = new Set((await listOfflineSync(store.db)).map((row) => row.member_id));
    for (const installation of await listInstallations(store.db))
      if (installation.status === 'active' && !known.has(installation.member_id))
        await ensureOfflineSync(store.db, installation.member_id, { authConnector: null, dueAt: now });
    await makeOfflineSyncDue(store.db, now);
    options.wake();
  }

  const api: OfflineApi = {
    authConnector: settings.authConnector,
    status: async (memberId) => {
      await options.ready();
      return (await listOfflineSync(store.db, memberId)).map(offlineSyncView);
    },
    reconcile: async (memberId) => {
      await options.ready();
      await makeOfflineSyncDue(store.db, new Date().toISOString(), memberId);
      options.wake();
    },
  };
  return { task, plan, catchUp, api, enabled: delivery !== 'online' };
}
