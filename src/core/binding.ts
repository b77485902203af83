/**
 * Binds the app's event handlers on a portal with `event.bind`. Online, to PUBLIC_URL: ONAPPMETHODCONFIRM,
 * ONAPPUPDATE and ONAPPUNINSTALL always, and the business events the app registered with `app.on`. With the safety
 * net (the default) each business event is bound offline as well, with the app's `auth_connector`, and
 * ONOFFLINEEVENT online with its `minTimeout`; pull mode binds business events offline only
 * (docs/protocol.md#82-subscribe). Bitrix24 drops bindings when the app is updated, so this runs after ONAPPINSTALL
 * and after ONAPPUPDATE. A plan without source keys (WRONG_LICENSE for auth_connector) gets offline bindings without one.
 */
import { isAlreadyBound, isWrongLicense } from '../rest/errors.js';
import type { RestClient } from '../rest/client.js';
import type { Params } from '../rest/transport.js';
import { getInstallation } from '../store/installations.js';
import { ensureOfflineSync } from '../store/offline-sync.js';
import type { Store } from '../store/schema.js';
import type { EventHandler } from './inbox-task.js';
import type { Delivery } from './offline-settings.js';

export const ALWAYS_BOUND = ['ONAPPMETHODCONFIRM', 'ONAPPUPDATE', 'ONAPPUNINSTALL'] as const;

export interface BindResult {
  event: string;
  /** The URL events go to; empty for an offline binding (the app reads them from the queue). */
  handler: string;
  type: 'online' | 'offline';
  status: 'bound' | 'already_bound';
}

export interface BindPlan {
  /** Where online events go; without it nothing is bound online. */
  publicUrl: string | undefined;
  delivery: Delivery;
  authConnector: string;
  /** ONOFFLINEEVENT's minTimeout, seconds. */
  signalMinTimeout: number;
}

export function eventsUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/bitrix24/events`;
}

/** Events about the portal's objects, as opposed to the app's own lifecycle. */
export const isBusinessEvent = (event: string) => !event.startsWith('ONAPP') && event !== 'ONOFFLINEEVENT';

async function bindOne(rest: RestClient, memberId: string, params: Params): Promise<BindResult['status']> {
  try {
    await rest.request(memberId, 'event.bind', params);
    return 'bound';
  } catch (error) {
    if (!isAlreadyBound(error)) throw error;
    return 'already_bound';
  }
}

export async function bindEvents(
  rest: RestClient,
  store: Store,
  memberId: string,
  plan: BindPlan,
  registered: Iterable<string>,
): Promise<BindResult[]> {
  const names = [...new Set([...registered].map((e) => e.toUpperCase()))].filter((e) => e !== 'ONAPPINSTALL');
  const business = plan.delivery === 'online' ? [] : names.filter(isBusinessEvent);
  const online = [...new Set([...ALWAYS_BOUND, ...names])].filter(
    (e) => plan.delivery !== 'pull' || !isBusinessEvent(e),
  );
  if (plan.delivery === 'safety-net' && business.length > 0) online.push('ONOFFLINEEVENT');
  const results: BindResult[] = [];
  if (plan.publicUrl) {
    const handler = eventsUrl(plan.publicUrl);
    for (const event of online) {
      const params: Params = { event, handler };
      if (event === 'ONOFFLINEEVENT') params.options = { minTimeout: plan.signalMinTimeout };
      results.push({ event, handler, type: 'online', status: await bindOne(rest, memberId, params) });
    }
  }
  let authConnector: string | null = plan.authConnector;
  for (const event of business) {
    const params: Params = { event, event_type: 'offline' };
    let status: BindResult['status'];
    try {
      status = await bindOne(rest, memberId, authConnector ? { ...params, auth_connector: authConnector } : params);
    } catch (error) {
      if (!authConnector || !isWrongLicense(error)) throw error;
      authConnector = null;
      status = await bindOne(rest, memberId, params);
    }
    results.push({ event, handler: '', type: 'offline', status });
  }
  if (business.length > 0)
    await ensureOfflineSync(store.db, memberId, { authConnector, dueAt: new Date().toISOString() });
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
