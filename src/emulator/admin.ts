/** The administrator's actions over HTTP (JSON, or the page's forms), used by the pages, the `b24-events emulator` commands and tests. */
import { formatRateLimit, parseRateLimit, type RateLimit } from '../protocol/index.js';
import { frameInstall } from './install-frame.js';
import { REGIONS, type Region } from './oauth.js';
import { Emulator, EmulatorError, type InstallOptions } from './portal.js';

export interface AdminAnswer {
  status: number;
  body: unknown;
  /** Where a form posted from a page goes next (default: the notifications page). */
  redirect?: string;
}

export interface AdminContext {
  /** Where the app under development listens, unless the request names another. */
  appUrl: string;
  /** The emulator's host:port as the request named it (the app's frame talks to it). */
  host: string;
}

const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const yes = (value: unknown) => value === true || value === '1' || value === 'true' || value === 'Y';
const list = (value: unknown) => ([] as unknown[]).concat(value ?? []).map(String);

const portalView = (emulator: Emulator, memberId: string) => {
  const p = emulator.portal(memberId);
  const bindings = p.bindings.map(({ id, event, handler }) => ({ id, event, handler }));
  return {
    memberId: p.memberId,
    domain: p.domain,
    region: p.region,
    status: p.status,
    withUi: p.withUi,
    version: p.version,
    installBindingId: p.installBinding.id,
    bindings,
    refreshes: emulator.authority.refreshesOf(memberId),
  };
};

function region(value: unknown): Region | undefined {
  if (value === undefined || value === '') return undefined;
  if (!REGIONS.includes(value as Region))
    throw new EmulatorError(`region must be ${REGIONS.join(' or ')}, not "${String(value).slice(0, 20)}"`);
  return value as Region;
}

async function install(emulator: Emulator, body: Record<string, unknown>, context: AdminContext): Promise<AdminAnswer> {
  const appUrl = str(body.appUrl) ?? context.appUrl;
  if (!URL.canParse(appUrl) || !/^https?:$/.test(new URL(appUrl).protocol))
    throw new EmulatorError(`appUrl "${appUrl.slice(0, 100)}" is not an http(s) URL`);
  const options: InstallOptions = {};
  const [memberId, domain, version, where] = [
    str(body.memberId),
    str(body.domain),
    str(body.version),
    region(body.region),
  ];
  if (memberId) options.memberId = memberId;
  if (domain) options.domain = domain;
  if (version) options.version = version;
  if (where) options.region = where;
  const installUrl = `${appUrl.replace(/\/+$/, '')}/bitrix24/install`;
  if (!yes(body.ui)) {
    const { portal, delivery } = await emulator.install(installUrl, options);
    return { status: 200, body: { ...portalView(emulator, portal.memberId), delivery } };
  }
  const portal = emulator.installWithUi(installUrl, options);
  const frameUrl = `/install?member_id=${encodeURIComponent(portal.memberId)}`;
  if (body.frame === 'http') {
    const frame = await frameInstall(emulator, portal, context.host);
    return { status: 200, body: { ...portalView(emulator, portal.memberId), frame } };
  }
  return { status: 200, body: { ...portalView(emulator, portal.memberId), frameUrl }, redirect: frameUrl };
}

async function portalAction(
  emulator: Emulator,
  memberId: string,
  action: string,
  body: Record<string, unknown>,
): Promise<AdminAnswer | undefined> {
  switch (action) {
    case 'update': {
      const { deliveries } = await emulator.update(memberId, {
        ...(str(body.version) ? { version: str(body.version)! } : {}),
        legacy: yes(body.legacy),
      });
      return { status: 200, body: { ...portalView(emulator, memberId), deliveries } };
    }
    case 'uninstall': {
      const { deliveries } = await emulator.uninstall(memberId, yes(body.clean));
      return { status: 200, body: { ...portalView(emulator, memberId), deliveries } };
    }
    case 'install-finish':
      emulator.finishInstall(memberId);
      return { status: 200, body: portalView(emulator, memberId) };
    case 'trigger': {
      const event = str(body.event);
      if (!event || !/^on[a-z0-9_]+$/i.test(event))
        throw new EmulatorError('event must be an event name like ONCRMDEALUPDATE');
      const userId = body.userId === undefined || body.userId === '' ? 1 : Number(body.userId);
      if (!Number.isInteger(userId) || userId < 1)
        throw new EmulatorError('userId must be a whole number of at least 1');
      const { deliveries } = await emulator.trigger(memberId, event, {
        set: list(body.set),
        userId,
        authConnector: str(body.authConnector),
      });
      return { status: 200, body: { memberId, event: event.toUpperCase(), deliveries } };
    }
    case 'offline': {
      const queue = emulator.offline.queue(memberId);
      return { status: 200, body: { memberId, bindings: queue.bindings, records: queue.records } };
    }
    case 'expire-tokens':
      return { status: 200, body: { memberId, expired: emulator.expireTokens(memberId) } };
    case 'revoke-tokens': {
      const refreshOnly = yes(body.refreshOnly);
      emulator.revokeTokens(memberId, refreshOnly ? 'refresh' : undefined);
      return { status: 200, body: { memberId, revoked: refreshOnly ? 'refresh' : 'all' } };
    }
    case 'rate-limit':
      emulator.portal(memberId).limits.setRateLimit(rateLimit(body.rateLimit));
      return { status: 200, body: limitsView(emulator, memberId) };
    case 'overload':
      emulator.portal(memberId).limits.overloaded = body.on === undefined || yes(body.on);
      return { status: 200, body: limitsView(emulator, memberId) };
    case 'block-method': {
      const method = str(body.method)?.toLowerCase();
      const seconds = body.seconds === undefined || body.seconds === '' ? 600 : Number(body.seconds);
      if (!method || !/^[a-z0-9_.]+$/.test(method))
        throw new EmulatorError('method must be a method name like crm.deal.list');
      if (!Number.isFinite(seconds) || seconds <= 0) throw new EmulatorError('seconds must be a number above 0');
      const until = emulator.portal(memberId).limits.block(method, seconds);
      return { status: 200, body: { ...limitsView(emulator, memberId), method, blockedUntil: until.toISOString() } };
    }
  }
  return undefined;
}

/** "2/50" or "off" (docs/protocol.md#77-limits: 2/50 most plans, 5/250 Enterprise). */
function rateLimit(value: unknown): RateLimit | false {
  if (value === 'off' || value === false) return false;
  const limit = parseRateLimit(String(value ?? ''));
  if (!limit)
    throw new EmulatorError(
      `rateLimit must be PER_SECOND/BURST (like 2/50) or off, not "${String(value).slice(0, 20)}"`,
    );
  return limit;
}

/** A portal's limits and what it saw of them. */
function limitsView(emulator: Emulator, memberId: string) {
  const { limits } = emulator.portal(memberId);
  const rate = limits.bucket?.limit;
  return {
    memberId,
    rateLimit: rate ? formatRateLimit(rate) : 'off',
    overloaded: limits.overloaded,
    ...limits.stats,
  };
}

/** Online deliveries lost for `seconds` (from now), or a `share` of them (0 to 1) until changed. */
function outage(emulator: Emulator, body: Record<string, unknown>): AdminAnswer {
  const seconds = body.seconds === undefined || body.seconds === '' ? 0 : Number(body.seconds);
  const share = body.share === undefined || body.share === '' ? 0 : Number(body.share);
  if (!Number.isFinite(seconds) || seconds < 0) throw new EmulatorError('seconds must be a number of at least 0');
  if (!Number.isFinite(share) || share < 0 || share > 1) throw new EmulatorError('share must be between 0 and 1');
  emulator.offline.outageUntil = Date.now() + seconds * 1000;
  emulator.offline.dropShare = share;
  const until = seconds > 0 ? new Date(emulator.offline.outageUntil).toISOString() : null;
  return { status: 200, body: { until, share, dropped: emulator.offline.stats.dropped } };
}

export async function handleAdmin(
  emulator: Emulator,
  method: string,
  path: string,
  body: Record<string, unknown>,
  context: AdminContext,
): Promise<AdminAnswer> {
  const parts = path.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const notFound = { status: 404, body: { error: 'not_found', message: `No admin action ${method} ${path}` } };
  try {
    if (method === 'GET' && parts[0] === 'portals' && parts.length === 1) {
      return { status: 200, body: [...emulator.portals.keys()].map((m) => portalView(emulator, m)) };
    }
    if (method === 'GET' && parts[0] === 'requests' && parts.length === 1)
      return { status: 200, body: emulator.waiting().map((r) => Emulator.describe(r)) };
    if (method === 'GET' && parts[0] === 'stats' && parts.length === 1)
      return { status: 200, body: [...emulator.portals.keys()].map((m) => limitsView(emulator, m)) };
    if (method === 'GET' && parts[0] === 'deliveries' && parts.length === 1)
      return { status: 200, body: emulator.deliveries };
    if (method !== 'POST') return notFound;
    if (parts[0] === 'install' && parts.length === 1) return await install(emulator, body, context);
    if (parts[0] === 'clock' && parts.length === 1) {
      const seconds = Number(body.advanceSeconds);
      return { status: 200, body: { now: emulator.advanceClock(seconds * 1000).toISOString() } };
    }
    if (parts[0] === 'outage' && parts.length === 1) return outage(emulator, body);
    if (parts[0] === 'portals' && parts.length === 3)
      return (await portalAction(emulator, parts[1]!, parts[2]!, body)) ?? notFound;
    if (parts[0] === 'requests' && parts.length === 3 && (parts[2] === 'allow' || parts[2] === 'deny')) {
      const id = Number(parts[1]);
      if (!Number.isInteger(id)) throw new EmulatorError(`"${parts[1]}" is not a request number`);
      const { request, deliveries } = await emulator.decide(id, parts[2] === 'allow');
      return { status: 200, body: { request: Emulator.describe(request), deliveries } };
    }
    return notFound;
  } catch (error) {
    if (error instanceof EmulatorError) return { status: 400, body: { error: 'refused', message: error.message } };
    throw error;
  }
}
