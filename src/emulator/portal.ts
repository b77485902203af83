/**
 * A fake Bitrix24 portal (or several), following docs/protocol.md: installs the app with fresh tokens and an
 * application_token, keeps event bindings, gates methods that need the administrator's confirmation per access token
 * and method, and delivers events form-encoded like PHP's http_build_query, to bound handlers only, never retried.
 */
import { BITRIX24_RATE_LIMIT, fingerprint, httpBuildQuery, LeakyBucket, type Encodable, type RateLimit } from '../protocol/index.js';
import { newSecret, OAuthAuthority, type TokenPair } from './oauth.js';
import { handleRest, type RestAnswer } from './rest.js';

export interface EmulatorOptions {
  clientId?: string;
  clientSecret?: string;
  /** Access token lifetime. Default 3600 s. */
  accessTtlSeconds?: number;
  /** Per-portal request limit; false turns it off. Default 2/s, burst 50. */
  rateLimit?: RateLimit | false;
  /** Methods that need the administrator's confirmation. Default: voximplant.user.get. */
  confirmMethods?: string[];
}

export const EMULATOR_CLIENT_ID = 'local.b24events.emulator';
export const EMULATOR_CLIENT_SECRET = 'emulator-client-secret';

export interface Binding {
  id: number;
  event: string;
  handler: string;
  authType: number;
}

export interface PortalState {
  memberId: string;
  domain: string;
  applicationToken: string;
  version: number;
  status: 'installed' | 'uninstalled';
  bindings: Binding[];
  bucket: LeakyBucket | undefined;
}

export interface ConfirmationRequest {
  id: number;
  memberId: string;
  method: string;
  /** Kept only in the emulator's memory: it is what ONAPPMETHODCONFIRM sends back as data[TOKEN]. */
  token: string;
  state: 'waiting' | 'granted' | 'denied';
  requestedAt: Date;
  decidedAt?: Date;
}

export interface Delivery {
  event: string;
  memberId: string;
  url: string;
  status: number | 'failed';
  at: Date;
}

export class Emulator {
  readonly authority: OAuthAuthority;
  readonly portals = new Map<string, PortalState>();
  readonly confirmations: ConfirmationRequest[] = [];
  readonly deliveries: Delivery[] = [];
  /** What the portal saw: HTTP requests to /rest, refusals for the rate limit, requests and successful runs per method. */
  readonly stats = { restRequests: 0, rateLimited: 0, byMethod: new Map<string, number>(), executed: new Map<string, number>() };
  readonly confirmMethods: Set<string>;
  baseUrl = 'http://127.0.0.1';
  private nextBindingId = 1;

  constructor(readonly options: EmulatorOptions = {}) {
    this.authority = new OAuthAuthority(options.clientId ?? EMULATOR_CLIENT_ID, options.clientSecret ?? EMULATOR_CLIENT_SECRET, {
      accessTtlSeconds: options.accessTtlSeconds ?? 3600,
    });
    this.confirmMethods = new Set((options.confirmMethods ?? ['voximplant.user.get']).map((m) => m.toLowerCase()));
  }

  get restEndpoint(): string {
    return `${this.baseUrl}/rest/`;
  }

  portal(memberId: string): PortalState {
    const portal = this.portals.get(memberId);
    if (!portal) throw new EmulatorError(`no portal with member_id ${memberId}`);
    return portal;
  }

  private issueTokens(portal: PortalState): TokenPair {
    return this.authority.issue({ memberId: portal.memberId, domain: portal.domain, clientEndpoint: this.restEndpoint, serverEndpoint: this.restEndpoint });
  }

  private tokenAuth(portal: PortalState, tokens: TokenPair) {
    return {
      access_token: tokens.access_token,
      expires: tokens.expires,
      expires_in: tokens.expires_in,
      scope: tokens.scope,
      domain: portal.domain,
      server_endpoint: this.restEndpoint,
      status: 'L',
      client_endpoint: this.restEndpoint,
      member_id: portal.memberId,
      user_id: 1,
      refresh_token: tokens.refresh_token,
      application_token: portal.applicationToken,
    };
  }

  private portalAuth(portal: PortalState) {
    return { domain: portal.domain, client_endpoint: this.restEndpoint, server_endpoint: this.restEndpoint, member_id: portal.memberId, application_token: portal.applicationToken };
  }

  /** The administrator installs the app: ONAPPINSTALL goes to the app's install URL with fresh tokens. */
  async install(installUrl: string, options: { memberId?: string; domain?: string; version?: number } = {}) {
    const memberId = options.memberId ?? newSecret();
    const existing = this.portals.get(memberId);
    if (existing?.status === 'installed') throw new EmulatorError(`the app is already installed on ${memberId}`);
    const rate = this.options.rateLimit === false ? undefined : new LeakyBucket(this.options.rateLimit ?? BITRIX24_RATE_LIMIT);
    const portal: PortalState = {
      memberId,
      domain: options.domain ?? existing?.domain ?? `portal-${memberId.slice(0, 6)}.bitrix24.test`,
      applicationToken: newSecret(),
      version: options.version ?? 1,
      status: 'installed',
      bindings: [],
      bucket: rate,
    };
    this.portals.set(memberId, portal);
    const tokens = this.issueTokens(portal);
    const data = { VERSION: portal.version, ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' };
    const delivery = await this.send(portal, installUrl, 'ONAPPINSTALL', data, this.tokenAuth(portal, tokens));
    return { portal, delivery };
  }

  /** A new version: ONAPPUPDATE (new tokens, a new application_token) to the bound handlers; bindings are then dropped. */
  async update(memberId: string, version?: number) {
    const portal = this.installed(memberId);
    const previous = portal.version;
    portal.version = version ?? previous + 1;
    portal.applicationToken = newSecret();
    const tokens = this.issueTokens(portal);
    const deliveries = await this.deliver(portal, 'ONAPPUPDATE', { VERSION: portal.version, PREVIOUS_VERSION: previous, LANGUAGE_ID: 'en' }, this.tokenAuth(portal, tokens));
    portal.bindings = [];
    return { portal, deliveries };
  }

  /** The administrator removes the app: tokens are revoked, then ONAPPUNINSTALL goes to the bound handlers. */
  async uninstall(memberId: string, clean = false) {
    const portal = this.installed(memberId);
    this.authority.revoke(memberId);
    const deliveries = await this.deliver(portal, 'ONAPPUNINSTALL', { CLEAN: clean ? 1 : 0, LANGUAGE_ID: 'en' }, this.portalAuth(portal));
    portal.status = 'uninstalled';
    portal.bindings = [];
    return { portal, deliveries };
  }

  expireTokens(memberId: string): number {
    this.installed(memberId);
    return this.authority.expireAll(memberId);
  }

  revokeTokens(memberId: string): void {
    this.installed(memberId);
    this.authority.revoke(memberId);
  }

  waiting(): ConfirmationRequest[] {
    return this.confirmations.filter((c) => c.state === 'waiting');
  }

  /** What a page or a log may show of a request: the token only as a fingerprint. */
  static describe(request: ConfirmationRequest) {
    const { token, ...rest } = request;
    return { ...rest, tokenFingerprint: fingerprint(token) };
  }

  /** The administrator allows or denies a waiting request: ONAPPMETHODCONFIRM goes to the bound handlers. */
  async decide(requestId: number, allow: boolean) {
    const request = this.confirmations.find((c) => c.id === requestId);
    if (!request) throw new EmulatorError(`no confirmation request ${requestId}`);
    if (request.state !== 'waiting') throw new EmulatorError(`request ${requestId} was already ${request.state}`);
    request.state = allow ? 'granted' : 'denied';
    request.decidedAt = new Date();
    const portal = this.portal(request.memberId);
    const data = { TOKEN: request.token, METHOD: request.method, CONFIRMED: allow ? 1 : 0, LANGUAGE_ID: 'en' };
    const deliveries = await this.deliver(portal, 'ONAPPMETHODCONFIRM', data, this.portalAuth(portal));
    return { request, deliveries };
  }

  /** The confirmation state of (token, method), creating a waiting request (a notification) on first sight. */
  confirmation(memberId: string, token: string, method: string): ConfirmationRequest {
    const found = this.confirmations.find((c) => c.token === token && c.method === method);
    if (found) return found;
    const request: ConfirmationRequest = { id: this.confirmations.length + 1, memberId, method, token, state: 'waiting', requestedAt: new Date() };
    this.confirmations.push(request);
    return request;
  }

  bind(portal: PortalState, event: string, handler: string, authType: number): Binding {
    const binding = { id: this.nextBindingId++, event: event.toUpperCase(), handler, authType };
    portal.bindings.push(binding);
    return binding;
  }

  rest(method: string, params: Record<string, unknown>): RestAnswer {
    return handleRest(this, method, params);
  }

  private installed(memberId: string): PortalState {
    const portal = this.portal(memberId);
    if (portal.status !== 'installed') throw new EmulatorError(`the app is not installed on ${memberId}`);
    return portal;
  }

  private async deliver(portal: PortalState, event: string, data: Record<string, Encodable>, auth: Record<string, Encodable>): Promise<Delivery[]> {
    const bound = portal.bindings.filter((b) => b.event === event);
    return Promise.all(bound.map((b) => this.send(portal, b.handler, event, data, auth, b.id)));
  }

  /** One POST, form-encoded as Bitrix24 does; a failure is recorded and never retried. */
  private async send(portal: PortalState, url: string, event: string, data: Record<string, Encodable>, auth: Record<string, Encodable>, handlerId?: number): Promise<Delivery> {
    const payload: Record<string, Encodable> = { event, event_handler_id: handlerId, data, ts: Math.floor(Date.now() / 1000), auth };
    let status: Delivery['status'];
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: httpBuildQuery(payload),
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      status = 'failed';
    }
    const delivery = { event, memberId: portal.memberId, url, status, at: new Date() };
    this.deliveries.push(delivery);
    return delivery;
  }
}

export class EmulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorError';
  }
}
