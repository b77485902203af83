/** The emulator's REST methods, errors and limits, answered as Bitrix24 answers them (docs/protocol.md sections 5, 6 and 7). */
import { createHash } from 'node:crypto';
import { fail, ok, withUsage, type RestAnswer } from './answers.js';
import { runBatch } from './batch.js';
import { handleOfflineRest } from './offline-rest.js';
import type { Emulator, PortalState } from './portal.js';

export type { RestAnswer } from './answers.js';

/** Who is calling: the portal, the user whose token it is, and the token (decisions belong to it). */
interface Caller {
  portal: PortalState;
  userId: number;
  token: string;
}

/** `app.info.json` and `APP.INFO` name the same method. */
export const methodName = (raw: string) => raw.toLowerCase().replace(/\.json$/, '');

export function handleRest(emulator: Emulator, rawMethod: string, params: Record<string, unknown>): RestAnswer {
  const method = methodName(rawMethod);
  emulator.stats.restRequests++;
  emulator.stats.byMethod.set(method, (emulator.stats.byMethod.get(method) ?? 0) + 1);
  const token = typeof params.auth === 'string' ? params.auth : '';
  if (!token) return fail(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
  const check = emulator.authority.check(token);
  if ('error' in check) {
    return check.error === 'expired_token'
      ? fail(401, 'expired_token', 'The access token provided has expired.')
      : fail(401, 'invalid_token', 'Unable to get application by token');
  }
  const portal = emulator.portals.get(check.memberId);
  if (!portal || portal.status === 'uninstalled')
    return fail(401, 'invalid_token', 'Unable to get application by token');
  const refused = portal.limits.admit();
  if (refused) {
    if ((refused.body as { error: string }).error === 'QUERY_LIMIT_EXCEEDED') emulator.stats.rateLimited++;
    return refused;
  }
  const caller = { portal, userId: check.userId, token };
  if (method === 'batch')
    return withUsage(
      runBatch(
        params,
        (m, p) => run(emulator, caller, m, p),
        (m) => portal.limits.usage(m),
      ),
      portal.limits.charge('batch'),
    );
  return run(emulator, caller, method, params);
}

/** Runs one method within its time limit and charges its time (docs/protocol.md#77-limits). */
function run(emulator: Emulator, caller: Caller, method: string, params: Record<string, unknown>): RestAnswer {
  const blocked = caller.portal.limits.check(method);
  if (blocked) return blocked;
  const answer = execute(emulator, caller, method, params);
  if (answer.status !== 200) return answer;
  emulator.stats.executed.set(method, (emulator.stats.executed.get(method) ?? 0) + 1);
  return withUsage(answer, caller.portal.limits.charge(method));
}

function execute(emulator: Emulator, caller: Caller, method: string, params: Record<string, unknown>): RestAnswer {
  const { portal } = caller;
  if (emulator.confirmMethods.has(method)) {
    const confirmation = emulator.confirmation(portal.memberId, caller.token, method);
    if (confirmation.state === 'waiting') return fail(401, 'METHOD_CONFIRM_WAITING', 'Waiting for confirmation');
    if (confirmation.state === 'denied') return fail(403, 'METHOD_CONFIRM_DENIED', 'Method call denied');
  }
  const offline = handleOfflineRest(emulator.offline, caller, method, params, () => emulator.newBindingId());
  if (offline) return offline;
  switch (method) {
    case 'app.info':
      return ok(appInfo(emulator, portal));
    case 'profile':
      return ok({
        ID: String(caller.userId),
        ADMIN: caller.userId === 1,
        NAME: caller.userId === 1 ? 'Admin' : `User ${caller.userId}`,
        LAST_NAME: '',
        PERSONAL_GENDER: '',
        TIME_ZONE: '',
        TIME_ZONE_OFFSET: 0,
      });
    case 'event.bind': {
      const event = String(params.event ?? '').toUpperCase();
      const handler = String(params.handler ?? '');
      if (!event || !handler) return fail(400, 'INVALID_ARGUMENTS', 'event and handler are required');
      if (!/^ON[A-Z0-9_]+$/.test(event)) return fail(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
      if (!URL.canParse(handler)) return fail(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
      if (portal.bindings.some((b) => b.event === event && b.handler === handler))
        return fail(400, 'ERROR_CORE', 'Handler already binded');
      emulator.bind(portal, event, handler, Number(params.auth_type ?? 0));
      return ok(true);
    }
    case 'user.admin':
      // User 1 installed the app and is the portal's administrator; others are not.
      return ok(caller.userId === 1);
    case 'event.get':
      return ok([
        ...portal.bindings.map((b) => ({
          event: b.event,
          handler: b.handler,
          auth_type: String(b.authType),
          offline: 0,
        })),
        ...emulator.offline
          .queue(portal.memberId)
          .bindings.map((b) => ({ event: b.event, handler: '', auth_type: '0', offline: 1 })),
      ]);
    case 'event.unbind': {
      const before = portal.bindings.length;
      const event = String(params.event ?? '').toUpperCase();
      portal.bindings = portal.bindings.filter(
        (b) => !(b.event === event && (params.handler === undefined || b.handler === params.handler)),
      );
      return ok({ count: before - portal.bindings.length });
    }
    case 'voximplant.user.get': {
      const ids = ([] as unknown[]).concat(params.USER_ID ?? caller.userId).map(String);
      return ok(ids.map((id) => voximplantUser(portal.memberId, id)));
    }
    default:
      if (emulator.confirmMethods.has(method)) return ok({ method, params: { ...params, auth: undefined } });
      return fail(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
  }
}

/** app.info as the docs show it (api-reference/common/system/app-info.md); INSTALLED is false until installFinish. */
function appInfo(emulator: Emulator, portal: PortalState) {
  return {
    ID: 1,
    CODE: emulator.authority.clientId,
    VERSION: Number.parseInt(portal.version, 10) || 1,
    STATUS: 'L',
    INSTALLED: portal.status === 'installed',
    PAYMENT_EXPIRED: 'N',
    DAYS: null,
    LANGUAGE_ID: 'en',
    LICENSE: 'en_project',
    LICENSE_TYPE: 'project',
    LICENSE_FAMILY: 'project',
  };
}

/** A user's telephony settings (voximplant-user-get.md); SIP_PASSWORD is a secret, stable per portal and user. */
export function voximplantUser(memberId: string, id: string) {
  const password = createHash('sha256').update(`${memberId}:${id}`).digest('hex').slice(0, 12);
  return {
    ID: id,
    DEFAULT_LINE: null,
    PHONE_ENABLED: 'Y',
    SIP_SERVER: 'ip.b24-1-1700000000.bitrixphone.com',
    SIP_LOGIN: `phone${id}`,
    SIP_PASSWORD: password,
    INNER_NUMBER: null,
  };
}
