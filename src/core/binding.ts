/**
 * Binds the app's event handlers on a portal with `event.bind`, so that Bitrix24 sends them to PUBLIC_URL.
 * ONAPPMETHODCONFIRM, ONAPPUPDATE and ONAPPUNINSTALL always; the events the app registered with `app.on` too.
 * Bitrix24 drops bindings when the app is updated, so this runs after ONAPPINSTALL and after ONAPPUPDATE.
 */
import { isAlreadyBound } from '../rest/errors.js';
import type { RestClient } from '../rest/client.js';
import { getInstallation } from '../store/installations.js';
import type { Store } from '../store/schema.js';
import type { EventHandler } from './inbox-task.js';

export const ALWAYS_BOUND = ['ONAPPMETHODCONFIRM', 'ONAPPUPDATE', 'ONAPPUNINSTALL'] as const;

export interface BindResult {
  event: string;
  handler: string;
  status: 'bound' | 'already_bound';
}

export function eventsUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/bitrix24/events`;
}

export async function bindEvents(
  rest: RestClient,
  memberId: string,
  publicUrl: string,
  registered: Iterable<string>,
): Promise<BindResult[]> {
  const handler = eventsUrl(publicUrl);
  const events = [...new Set([...ALWAYS_BOUND, ...[...registered].map((e) => e.toUpperCase())])].filter(
    (e) => e !== 'ONAPPINSTALL',
  );
  const results: BindResult[] = [];
  for (const event of events) {
    try {
      await rest.request(memberId, 'event.bind', { event, handler });
      results.push({ event, handler, status: 'bound' });
    } catch (error) {
      if (!isAlreadyBound(error)) throw error;
      results.push({ event, handler, status: 'already_bound' });
    }
  }
  return results;
}

/**
 * The built-in handler of ONAPPINSTALL (an install or an update, docs/protocol.md#72-updates-arrive-as-onappinstall)
 * and ONAPPUPDATE: binds the app's events again, from the inbox after the answer, while the installation is active.
 */
export function rebindAfterInstall(
  store: Store,
  bind: ((memberId: string) => Promise<BindResult[]>) | undefined,
): EventHandler {
  return async (event, ctx) => {
    if (!bind) return;
    const installation = await getInstallation(store.db, event.auth.memberId);
    if (installation?.status !== 'active') return;
    ctx.log.info({ bindings: await bind(event.auth.memberId) }, 'events bound');
  };
}
