/**
 * The offline methods as a portal answers them (`docs: api-reference/events/event-offline-get.md`, `-clear.md`,
 * `-error.md`, `-list.md`, `common/system/feature-get.md`): event.bind with event_type=offline, event.offline.get,
 * .clear, .error, .list and feature.get. Administrator only; WRONG_LICENSE where the plan lacks a feature.
 */
import { fail, ok, type RestAnswer } from './answers.js';
import { atom, type OfflineQueues, type OfflineRecordState } from './offline.js';
import type { PortalState } from './types.js';

interface Caller {
  portal: PortalState;
  userId: number;
}

const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const list = (value: unknown): string[] =>
  value === undefined
    ? []
    : Array.isArray(value)
      ? value.map(String)
      : typeof value === 'object' && value !== null
        ? Object.values(value).map(String)
        : [String(value)];
const license = (what: string) =>
  fail(403, 'WRONG_LICENSE', `This feature is not enabled for the current license: ${what}`);

function view(record: OfflineRecordState, withState = false) {
  return {
    ID: String(record.id),
    TIMESTAMP_X: atom(record.timestampX),
    EVENT_NAME: record.eventName,
    EVENT_DATA: record.eventData,
    EVENT_ADDITIONAL: record.userId === null ? false : { user_id: String(record.userId) },
    MESSAGE_ID: record.messageId,
    ...(withState ? { PROCESS_ID: record.processId ?? '', ERROR: record.error ? '1' : '0' } : {}),
  };
}

const FIELDS: Record<string, (r: OfflineRecordState) => string | number> = {
  ID: (r) => r.id,
  TIMESTAMP_X: (r) => r.timestampX,
  EVENT_NAME: (r) => r.eventName,
  MESSAGE_ID: (r) => r.messageId,
  PROCESS_ID: (r) => r.processId ?? '',
  ERROR: (r) => (r.error ? 1 : 0),
};

/** `{"=EVENT_NAME": "ONCRMDEALADD", ">ID": 5}`: operation before the field; `!` and unknown fields are refused. */
function filterOf(raw: unknown, allowed: string[]): ((r: OfflineRecordState) => boolean) | RestAnswer {
  const tests: ((r: OfflineRecordState) => boolean)[] = [];
  for (const [key, expected] of Object.entries(typeof raw === 'object' && raw !== null ? raw : {})) {
    const [, op = '=', field = ''] = /^(>=|<=|=|>|<|!)?(.*)$/.exec(key) ?? [];
    if (op === '!') return fail(400, 'ERROR_ARGUMENT', `Filter operation not allowed: ${op}`);
    if (!allowed.includes(field)) return fail(400, 'ERROR_ARGUMENT', `Filter field not allowed: ${field.slice(0, 40)}`);
    const read = FIELDS[field]!;
    const want = field === 'TIMESTAMP_X' ? Date.parse(String(expected)) : String(expected);
    const cmp = (r: OfflineRecordState) => {
      const have = read(r);
      return typeof have === 'number' && want !== '' && !Number.isNaN(Number(want))
        ? have - Number(want)
        : String(have).localeCompare(String(want));
    };
    const byOp: Record<string, (c: number) => boolean> = {
      '=': (c) => c === 0,
      '>': (c) => c > 0,
      '<': (c) => c < 0,
      '>=': (c) => c >= 0,
      '<=': (c) => c <= 0,
    };
    tests.push((r) => byOp[op]!(cmp(r)));
  }
  return (r) => tests.every((t) => t(r));
}

function sorter(
  raw: unknown,
  fallback: [string, string],
): ((a: OfflineRecordState, b: OfflineRecordState) => number) | RestAnswer {
  const entries = Object.entries(typeof raw === 'object' && raw !== null ? raw : {});
  const order = entries.length > 0 ? entries : [fallback];
  for (const [field, direction] of order) {
    if (!FIELDS[field]) return fail(400, 'ERROR_ARGUMENT', `Order field not allowed: ${field.slice(0, 40)}`);
    if (!/^(ASC|DESC)$/i.test(String(direction)))
      return fail(400, 'ERROR_ARGUMENT', 'Order direction should be one of {ASC|DESC}');
  }
  return (a, b) => {
    for (const [field, direction] of [...order, ['ID', 'ASC']]) {
      const [x, y] = [FIELDS[field!]!(a), FIELDS[field!]!(b)];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (c !== 0) return /^desc$/i.test(String(direction)) ? -c : c;
    }
    return 0;
  };
}

function get(queues: OfflineQueues, portal: PortalState, params: Record<string, unknown>): RestAnswer {
  const limit = params.limit === undefined ? 50 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1) return fail(400, 'ERROR_ARGUMENT', 'Value must be positive integer');
  const clear = params.clear === undefined ? 1 : Number(params.clear);
  if (clear === 0 && !queues.extended) return license('extended offline events handling');
  const connector = str(params.auth_connector) ?? null;
  if (connector && !queues.authConnector) return license('auth_connector');
  const filter = filterOf(params.filter, ['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'MESSAGE_ID']);
  if (typeof filter !== 'function') return filter;
  const order = sorter(params.order, ['TIMESTAMP_X', 'ASC']);
  if (typeof order !== 'function') return order;
  const queue = queues.queue(portal.memberId);
  const processId = str(params.process_id);
  const mine = queues.records(portal.memberId, connector);
  const wanted = processId
    ? mine.filter((r) => r.processId === processId && !r.error)
    : mine.filter((r) => r.processId === null && r.error === (String(params.error ?? '0') === '1') && filter(r));
  const batch = wanted.sort(order).slice(0, limit);
  if (clear !== 0) {
    // Reading with clear=1 deletes at once (by process_id: the whole batch, beyond `limit` too).
    const gone = new Set(processId ? wanted : batch);
    queue.records = queue.records.filter((r) => !gone.has(r));
    return ok({ process_id: processId ?? null, events: batch.map((r) => view(r)) });
  }
  const id = processId ?? queues.newProcessId();
  for (const record of batch) record.processId = id;
  return ok({ process_id: id, events: batch.map((r) => view(r)) });
}

function clearOrError(
  queues: OfflineQueues,
  portal: PortalState,
  method: string,
  params: Record<string, unknown>,
): RestAnswer {
  const processId = str(params.process_id);
  if (!processId) return fail(400, 'ERROR_ARGUMENT', 'Argument process_id is required');
  const queue = queues.queue(portal.memberId);
  const ids = new Set(list(params.id));
  const messageIds = new Set(list(params.message_id));
  if (method === 'event.offline.error') {
    if (messageIds.size === 0) return fail(400, 'ERROR_ARGUMENT', 'Argument message_id is required');
    for (const r of queue.records)
      if (r.processId === processId && messageIds.has(r.messageId)) Object.assign(r, { error: true, processId: null });
    return ok(true);
  }
  const picked = (r: OfflineRecordState) =>
    ids.size > 0 ? ids.has(String(r.id)) : messageIds.size > 0 ? messageIds.has(r.messageId) : true;
  queue.records = queue.records.filter((r) => !(r.processId === processId && picked(r)));
  return ok(true);
}

function offlineList(queues: OfflineQueues, portal: PortalState, params: Record<string, unknown>): RestAnswer {
  const filter = filterOf(params.filter, Object.keys(FIELDS));
  if (typeof filter !== 'function') return filter;
  const order = sorter(params.order, ['ID', 'ASC']);
  if (typeof order !== 'function') return order;
  const all = queues
    .records(portal.memberId, str(params.auth_connector) ?? null)
    .filter(filter)
    .sort(order);
  const start = Math.max(0, Number(params.start ?? 0) || 0);
  const page = all.slice(start, start + 50).map((r) => view(r, true));
  return ok(page, { total: all.length, ...(start + 50 < all.length ? { next: start + 50 } : {}) });
}

/** Answers the offline methods, or undefined for any other method (and for online bindings). */
export function handleOfflineRest(
  queues: OfflineQueues,
  caller: Caller,
  method: string,
  params: Record<string, unknown>,
  nextBindingId: () => number,
): RestAnswer | undefined {
  const { portal } = caller;
  if (method === 'feature.get') {
    const code = str(params.CODE);
    if (!code) return fail(400, 'CODE_EMPTY', "CODE can't be empty");
    const on =
      code === 'rest_offline_extended'
        ? queues.extended
        : code === 'rest_auth_connector'
          ? queues.authConnector
          : false;
    return ok({ value: on ? 'Y' : 'N' });
  }
  const offlineBind = method === 'event.bind' && params.event_type === 'offline';
  if (method === 'event.bind' && String(params.event ?? '').toUpperCase() === 'ONOFFLINEEVENT') {
    const minTimeout = Number((params.options as { minTimeout?: unknown } | undefined)?.minTimeout ?? 1);
    queues.queue(portal.memberId).minTimeout = Number.isFinite(minTimeout) && minTimeout >= 0 ? minTimeout : 1;
  }
  if (!offlineBind && !method.startsWith('event.offline.')) return undefined;
  if (caller.userId !== 1) return fail(403, 'ACCESS_DENIED', 'Access denied!');
  const fault = queues.fault;
  if (fault && (!fault.methods || fault.methods.includes(offlineBind ? 'event.bind' : method)))
    return fail(fault.status, fault.error, fault.description);
  if (offlineBind) {
    const event = String(params.event ?? '').toUpperCase();
    if (!/^ON[A-Z0-9_]+$/.test(event)) return fail(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
    const authConnector = str(params.auth_connector) ?? null;
    if (authConnector && !queues.authConnector) return license('auth_connector');
    const queue = queues.queue(portal.memberId);
    if (queue.bindings.some((b) => b.event === event && b.authConnector === authConnector))
      return fail(400, 'ERROR_CORE', 'Handler already binded');
    queue.bindings.push({ id: nextBindingId(), event, authConnector });
    return ok(true);
  }
  switch (method) {
    case 'event.offline.get':
      return get(queues, portal, params);
    case 'event.offline.clear':
    case 'event.offline.error':
      return clearOrError(queues, portal, method, params);
    case 'event.offline.list':
      return offlineList(queues, portal, params);
  }
  return fail(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
}
