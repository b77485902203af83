/** Realistic events with sample values, for `b24-events send`: every field Bitrix24 sends, overridable by path. */
import { randomBytes } from 'node:crypto';
import { PROTOTYPE_KEYS, type Encodable } from '../protocol/index.js';

export type Payload = { [key: string]: Encodable };

const hex = () => randomBytes(16).toString('hex');

const sampleData: Record<string, () => Payload> = {
  ONAPPMETHODCONFIRM: () => ({ TOKEN: hex(), METHOD: 'voximplant.user.get', CONFIRMED: '1', LANGUAGE_ID: 'en' }),
  ONAPPINSTALL: () => ({ VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' }),
  ONAPPUPDATE: () => ({ VERSION: '2', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'en' }),
  ONAPPUNINSTALL: () => ({ CLEAN: '0', LANGUAGE_ID: 'en' }),
  ONAPPPAYMENT: () => ({
    CODE: 'vendor.app',
    VERSION: '1',
    STATUS: 'P',
    PAYMENT_EXPIRED: 'N',
    DAYS: '30',
    LANGUAGE_ID: 'en',
  }),
  ONAPPTEST: () => ({ QUERY: { test: '1' }, LANGUAGE_ID: 'en' }),
};

/** Events whose auth block carries no tokens (docs/protocol.md section 2). */
const withoutTokens = new Set(['ONAPPMETHODCONFIRM', 'ONAPPUNINSTALL']);

export const eventCarriesTokens = (event: string): boolean => !withoutTokens.has(event.toUpperCase());

/** Sample `data` of an event: the lifecycle events' fields, or `FIELDS[ID]` as CRM and most business events carry. */
export const eventData = (event: string): Payload => sampleData[event.toUpperCase()]?.() ?? { FIELDS: { ID: '1' } };

export interface SampleOptions {
  memberId?: string | undefined;
  applicationToken?: string | undefined;
  domain?: string | undefined;
}

export class SampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SampleError';
  }
}

export function sampleEvent(name: string, options: SampleOptions = {}): Payload {
  const event = name.toUpperCase();
  if (!/^ON[A-Z0-9_]+$/.test(event))
    throw new SampleError(
      `"${name}" is not a Bitrix24 event name (they look like ONAPPMETHODCONFIRM or ONCRMDEALADD).`,
    );
  const domain = options.domain ?? 'portal.bitrix24.com';
  const now = Math.floor(Date.now() / 1000);
  const auth: Payload = {
    domain,
    client_endpoint: `https://${domain}/rest/`,
    server_endpoint: 'https://oauth.bitrix.info/rest/',
    member_id: options.memberId ?? hex(),
    application_token: options.applicationToken ?? hex(),
  };
  if (!withoutTokens.has(event)) {
    Object.assign(auth, {
      access_token: hex(),
      expires: String(now + 3600),
      expires_in: '3600',
      scope: 'crm,user,telephony',
      status: 'L',
      user_id: '1',
    });
    if (event !== 'ONAPPPAYMENT') auth.refresh_token = hex();
  }
  const data = eventData(event);
  return { event, event_handler_id: '1', data, ts: String(now), auth };
}

const TOP_LEVEL = new Set(['event_handler_id', 'data', 'ts', 'auth']);

/**
 * Applies `data.KEY=VALUE` style overrides (dots go deeper: `data.FIELDS.ID=5`). Errors name the path, never the
 * value: it may be a token (`auth.application_token=...`).
 */
export function applyOverride(payload: Payload, assignment: string): void {
  const at = assignment.indexOf('=');
  if (at <= 0) throw new SampleError(`--set "${assignment}" is not PATH=VALUE (for example data.METHOD=crm.deal.add).`);
  const path = assignment.slice(0, at).split('.');
  const value = assignment.slice(at + 1);
  if (!TOP_LEVEL.has(path[0]!))
    throw new SampleError(`--set ${path.join('.')}=…: the path must start with data., auth., ts or event_handler_id.`);
  if (path.some((key) => key === '' || PROTOTYPE_KEYS.has(key)))
    throw new SampleError(`--set ${path.join('.')}=…: "${path.join('.')}" is not a usable path.`);
  let target = payload;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) target[key] = {};
    target = target[key] as Payload;
  }
  target[path.at(-1)!] = value;
}
