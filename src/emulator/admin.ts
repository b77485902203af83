/** The administrator's actions over HTTP (JSON), used by the page, the `b24-events emulator` commands and tests. */
import { Emulator, EmulatorError } from './portal.js';

export interface AdminAnswer {
  status: number;
  body: unknown;
  /** Set for a form posted from the page: go back to it. */
  redirect?: string;
}

const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

const portalView = (emulator: Emulator, memberId: string) => {
  const p = emulator.portal(memberId);
  return { memberId: p.memberId, domain: p.domain, status: p.status, version: p.version, bindings: p.bindings.map(({ event, handler }) => ({ event, handler })) };
};

export async function handleAdmin(emulator: Emulator, method: string, path: string, body: Record<string, unknown>, appUrl: string): Promise<AdminAnswer> {
  const parts = path.split('/').filter(Boolean).slice(1);
  try {
    if (method === 'GET' && parts[0] === 'portals' && parts.length === 1) {
      return { status: 200, body: [...emulator.portals.keys()].map((m) => portalView(emulator, m)) };
    }
    if (method === 'GET' && parts[0] === 'requests' && parts.length === 1) return { status: 200, body: emulator.waiting().map((r) => Emulator.describe(r)) };
    if (method === 'GET' && parts[0] === 'deliveries') return { status: 200, body: emulator.deliveries };
    if (method !== 'POST') return { status: 404, body: { error: 'not_found', message: `No admin action ${method} ${path}` } };

    if (parts[0] === 'install' && parts.length === 1) {
      const target = `${(str(body.appUrl) ?? appUrl).replace(/\/+$/, '')}/bitrix24/install`;
      const options: { memberId?: string; domain?: string } = {};
      if (str(body.memberId)) options.memberId = str(body.memberId)!;
      if (str(body.domain)) options.domain = str(body.domain)!;
      const { portal, delivery } = await emulator.install(target, options);
      return { status: 200, body: { ...portalView(emulator, portal.memberId), delivery } };
    }
    if (parts[0] === 'portals' && parts.length === 3) {
      const memberId = parts[1]!;
      switch (parts[2]) {
        case 'update': {
          const { deliveries } = await emulator.update(memberId, body.version === undefined ? undefined : Number(body.version));
          return { status: 200, body: { ...portalView(emulator, memberId), deliveries } };
        }
        case 'uninstall': {
          const { deliveries } = await emulator.uninstall(memberId, body.clean === true || body.clean === '1');
          return { status: 200, body: { ...portalView(emulator, memberId), deliveries } };
        }
        case 'expire-tokens':
          return { status: 200, body: { memberId, expired: emulator.expireTokens(memberId) } };
        case 'revoke-tokens':
          emulator.revokeTokens(memberId);
          return { status: 200, body: { memberId, revoked: true } };
      }
    }
    if (parts[0] === 'requests' && parts.length === 3 && (parts[2] === 'allow' || parts[2] === 'deny')) {
      const id = Number(parts[1]);
      if (!Number.isInteger(id)) throw new EmulatorError(`"${parts[1]}" is not a request number`);
      const { request, deliveries } = await emulator.decide(id, parts[2] === 'allow');
      return { status: 200, body: { request: Emulator.describe(request), deliveries } };
    }
    return { status: 404, body: { error: 'not_found', message: `No admin action ${method} ${path}` } };
  } catch (error) {
    if (error instanceof EmulatorError) return { status: 400, body: { error: 'refused', message: error.message } };
    throw error;
  }
}
