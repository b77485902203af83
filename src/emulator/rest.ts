/** The emulator's REST methods, errors and limits, answered as Bitrix24 answers them (docs/protocol.md sections 5 and 6). */
import { decodeForm } from '../protocol/index.js';
import type { Emulator, PortalState } from './portal.js';

export interface RestAnswer {
  status: number;
  body: object;
}

const timing = () => {
  const now = Date.now() / 1000;
  return { start: now, finish: now, duration: 0, processing: 0, date_start: new Date().toISOString(), date_finish: new Date().toISOString(), operating: 0 };
};
const ok = (result: unknown, extra: object = {}): RestAnswer => ({ status: 200, body: { result, ...extra, time: timing() } });
const fail = (status: number, error: string, description: string): RestAnswer => ({ status, body: { error, error_description: description } });
/** PHP's json_encode writes an empty array where a map is empty. */
const phpMap = (map: Record<string, unknown>) => (Object.keys(map).length === 0 ? [] : map);

export function handleRest(emulator: Emulator, rawMethod: string, params: Record<string, unknown>): RestAnswer {
  const method = rawMethod.toLowerCase().replace(/\.json$/, '');
  emulator.stats.restRequests++;
  emulator.stats.byMethod.set(method, (emulator.stats.byMethod.get(method) ?? 0) + 1);
  const token = typeof params.auth === 'string' ? params.auth : '';
  if (!token) return fail(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
  const check = emulator.authority.check(token);
  if ('error' in check) {
    return check.error === 'expired_token' ? fail(401, 'expired_token', 'The access token provided has expired.') : fail(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
  }
  const portal = emulator.portals.get(check.memberId);
  if (!portal || portal.status !== 'installed') return fail(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
  if (portal.bucket && !portal.bucket.tryTake(Date.now())) {
    emulator.stats.rateLimited++;
    return fail(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests');
  }
  return method === 'batch' ? batch(emulator, portal, token, params) : run(emulator, portal, token, method, params);
}

function run(emulator: Emulator, portal: PortalState, token: string, method: string, params: Record<string, unknown>): RestAnswer {
  const answer = execute(emulator, portal, token, method, params);
  if (answer.status === 200) emulator.stats.executed.set(method, (emulator.stats.executed.get(method) ?? 0) + 1);
  return answer;
}

function execute(emulator: Emulator, portal: PortalState, token: string, method: string, params: Record<string, unknown>): RestAnswer {
  if (emulator.confirmMethods.has(method)) {
    const confirmation = emulator.confirmation(portal.memberId, token, method);
    if (confirmation.state === 'waiting') return fail(401, 'METHOD_CONFIRM_WAITING', 'Waiting for confirmation');
    if (confirmation.state === 'denied') return fail(403, 'METHOD_CONFIRM_DENIED', 'Method call denied');
  }
  switch (method) {
    case 'app.info':
      return ok({ ID: 1, CODE: 'local.b24events.emulator', VERSION: portal.version, STATUS: 'L', INSTALLED: true, PAYMENT_EXPIRED: 'N', DAYS: null, LICENSE: 'en_project' });
    case 'event.bind': {
      const event = String(params.event ?? '').toUpperCase();
      const handler = String(params.handler ?? '');
      if (!event || !handler) return fail(400, 'INVALID_ARGUMENTS', 'event and handler are required');
      if (!/^ON[A-Z0-9_]+$/.test(event)) return fail(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
      if (!URL.canParse(handler)) return fail(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
      if (portal.bindings.some((b) => b.event === event && b.handler === handler)) return fail(400, 'ERROR_CORE', 'Handler already binded');
      emulator.bind(portal, event, handler, Number(params.auth_type ?? 0));
      return ok(true);
    }
    case 'user.admin':
      // The emulator's tokens are the installing administrator's.
      return ok(true);
    case 'event.get':
      return ok(portal.bindings.map((b) => ({ event: b.event, handler: b.handler, auth_type: String(b.authType), offline: 0 })));
    case 'event.unbind': {
      const before = portal.bindings.length;
      const event = String(params.event ?? '').toUpperCase();
      portal.bindings = portal.bindings.filter((b) => !(b.event === event && (params.handler === undefined || b.handler === params.handler)));
      return ok({ count: before - portal.bindings.length });
    }
    case 'voximplant.user.get': {
      const ids = ([] as unknown[]).concat(params.USER_ID ?? 1).map(String);
      return ok(ids.map((id) => ({ ID: id, UF_VI_PHONE: 'N', UF_PHONE_INNER: `10${id}` })));
    }
    default:
      if (emulator.confirmMethods.has(method)) return ok({ method, params: { ...params, auth: undefined } });
      return fail(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
  }
}

function batch(emulator: Emulator, portal: PortalState, token: string, params: Record<string, unknown>): RestAnswer {
  const commands = (params.cmd ?? {}) as Record<string, unknown>;
  const keys = Object.keys(commands);
  if (keys.length > 50) return fail(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded');
  const result: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  const halt = params.halt === '1' || params.halt === 1 || params.halt === true;
  for (const key of keys) {
    const command = String(commands[key]);
    const at = command.indexOf('?');
    const method = (at === -1 ? command : command.slice(0, at)).toLowerCase();
    const query = at === -1 ? {} : decodeForm(command.slice(at + 1));
    const answer = method === 'batch' ? fail(400, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage') : run(emulator, portal, token, method, query);
    const body = answer.body as { result?: unknown; error?: string; error_description?: string };
    if (answer.status === 200) result[key] = body.result;
    else {
      errors[key] = { error: body.error, error_description: body.error_description };
      if (halt) break;
    }
  }
  return ok({ result: phpMap(result), result_error: phpMap(errors), result_total: [], result_next: [], result_time: [] });
}
