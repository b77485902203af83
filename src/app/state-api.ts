/** The app's faces on its state, for the API, the CLI and pages: installations (list, get, and add by hand), the permission ledger, parked calls and the inbox. */
import { tokenHash } from '../protocol/index.js';
import { registerInstallation, setInstallationRateLimit, type ManualInstallation } from '../core/installations.js';
import type { RateLimit } from '../protocol/index.js';
import {
  inboxEntryView,
  installationView,
  parkedCallView,
  permissionView,
  type InboxEntry,
  type InstallationView,
  type ParkedCall,
  type Permission,
} from '../core/views.js';
import { listInboxEvents, type InboxQuery } from '../store/inbox.js';
import { getInstallation, listInstallations } from '../store/installations.js';
import { getParkedCall, listParkedCalls, type ParkedCallQuery } from '../store/parked-calls.js';
import { listPermissions } from '../store/permissions.js';
import type { Store } from '../store/schema.js';

export interface InstallationsApi {
  list(): Promise<InstallationView[]>;
  get(memberId: string): Promise<InstallationView | undefined>;
  add(installation: ManualInstallation): Promise<InstallationView>;
  /**
   * Sets the portal's request limit (its plan: `{perSecond: 5, burst: 250}` for Enterprise), or with null goes back to
   * `rest.rateLimit`. Every instance paces its requests to that portal by it from their next request.
   */
  setRateLimit(memberId: string, limit: RateLimit | null): Promise<InstallationView>;
}

export interface CallsApi {
  list(query?: ParkedCallQuery): Promise<ParkedCall[]>;
  get(id: number): Promise<ParkedCall | undefined>;
  /** Sends a failed call back to be replayed (and its continuation to run again). False when it is not failed. */
  retry(id: number): Promise<boolean>;
}

export function stateApi(store: Store, ready: () => Promise<void>) {
  const db = () => ready().then(() => store.db);
  const installations: InstallationsApi = {
    list: async () => (await listInstallations(await db())).map(installationView),
    get: async (memberId) => {
      const row = await getInstallation(await db(), memberId);
      return row && installationView(row);
    },
    add: async (input) => {
      await registerInstallation(await db(), input);
      return installationView((await getInstallation(store.db, input.memberId))!);
    },
    setRateLimit: async (memberId, limit) => {
      await setInstallationRateLimit(await db(), memberId, limit);
      return installationView((await getInstallation(store.db, memberId))!);
    },
  };

  /** The ledger, each grant checked against its portal's current token (where this app holds one). */
  async function permissions(memberId?: string): Promise<Permission[]> {
    const rows = await listPermissions(await db(), memberId);
    const current = new Map<string, string>();
    for (const i of await listInstallations(store.db))
      if (i.access_token) current.set(i.member_id, tokenHash(i.access_token));
    return rows.map((row) => permissionView(row, current.get(row.member_id)));
  }

  const calls: Omit<CallsApi, 'retry'> = {
    list: async (query) => (await listParkedCalls(await db(), query)).map(parkedCallView),
    get: async (id) => {
      const row = await getParkedCall(await db(), id);
      return row && parkedCallView(row);
    },
  };

  const inbox = {
    list: async (query?: InboxQuery): Promise<InboxEntry[]> =>
      (await listInboxEvents(await db(), query)).map(inboxEntryView),
  };
  return { installations, permissions, calls, inbox };
}
