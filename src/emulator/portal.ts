/**
 * A fake Bitrix24 portal (or several), following docs/protocol.md: installs the app (with ONAPPINSTALL, or in the
 * administrator's browser for apps with a UI, finished by BX24.installFinish), updates it with a second ONAPPINSTALL
 * under the same application_token, keeps event bindings, gates methods that need the administrator's confirmation
 * per access token and method, and delivers events to bound handlers only, never retried, never while installing.
 */
import { fingerprint, type Encodable } from '../protocol/index.js';
import { deliver, dropped, type Delivery } from './delivery.js';
import { defaultLimitSettings, PortalLimits } from './limits.js';
import { newSecret, OAuthAuthority, type Region, type TokenPair } from './oauth.js';
import { OfflineQueues } from './offline.js';
import { handleRest, type RestAnswer } from './rest.js';
import { applyOverride, eventData, eventCarriesTokens, type Payload } from './samples.js';
import {
  checkVersion,
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  EmulatorError,
  type Binding,
  type ConfirmationRequest,
  type EmulatorOptions,
  type InstallOptions,
  type PortalState,
} from './types.js';

export * from './types.js';
export type { Delivery } from './delivery.js';

const LANGUAGE_ID = 'en';
const nextVersion = (version: string) => String((Number.parseInt(version, 10) || 0) + 1);

export class Emulator {
  readonly authority: OAuthAuthority;
  readonly portals = new Map<string, PortalState>();
  readonly confirmations: ConfirmationRequest[] = [];
  readonly deliveries: Delivery[] = [];
  /** What the portal saw: HTTP requests to /rest, refusals for the rate limit, requests and successful runs per method. */
  readonly stats = {
    restRequests: 0,
    rateLimited: 0,
    byMethod: new Map<string, number>(),
    executed: new Map<string, number>(),
  };
  readonly confirmMethods: Set<string>;
  /** The portal's origin (REST, pages, the west OAuth server). */
  baseUrl = 'http://127.0.0.1';
  /** The east region's OAuth server. */
  eastUrl = 'http://127.0.0.1';
  private nextBindingId = 1;
  /** How far `advanceClock` has moved the portal's clock. */
  private clockOffsetMs = 0;
  /** The offline event queues, the plan's offline features, outages (src/emulator/offline.ts). */
  readonly offline = new OfflineQueues((portal) =>
    this.deliverBound(portal, 'ONOFFLINEEVENT', {}, this.tokenAuth(portal, this.issueTokens(portal))),
  );

  constructor(readonly options: EmulatorOptions = {}) {
    this.authority = new OAuthAuthority(
      options.clientId ?? EMULATOR_CLIENT_ID,
      options.clientSecret ?? EMULATOR_CLIENT_SECRET,
      {
        accessTtlSeconds: options.accessTtlSeconds ?? 3600,
        ...(options.refreshTtlSeconds === undefined ? {} : { refreshTtlSeconds: options.refreshTtlSeconds }),
        now: () => this.now(),
      },
    );
    this.confirmMethods = new Set((options.confirmMethods ?? ['voximplant.user.get']).map((m) => m.toLowerCase()));
  }

  /** The portal's clock: token lifetimes run on it. */
  now(): number {
    return (this.options.now ?? Date.now)() + this.clockOffsetMs;
  }

  /** Time passes on the portal (tokens age): for trying what a quiet month, or half a year, does. */
  advanceClock(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new EmulatorError('the clock only moves forward, by a number of seconds');
    this.clockOffsetMs += ms;
    return new Date(this.now());
  }

  get restEndpoint(): string {
    return `${this.baseUrl}/rest/`;
  }

  serverEndpoint(region: Region): string {
    return `${region === 'east' ? this.eastUrl : this.baseUrl}/rest/`;
  }

  portal(memberId: string): PortalState {
    const portal = this.portals.get(memberId);
    if (!portal) throw new EmulatorError(`no portal with member_id ${memberId}`);
    return portal;
  }

  /** A fresh token pair of a user of the portal (user 1 is the administrator who installed the app). */
  issueTokens(portal: PortalState, userId = 1): TokenPair {
    const { memberId, domain, region } = portal;
    return this.authority.issue(
      { memberId, domain, region, clientEndpoint: this.restEndpoint, serverEndpoint: this.serverEndpoint(region) },
      userId,
    );
  }

  /** The auth block of events sent with a user's tokens (docs/protocol.md section 2). */
  tokenAuth(portal: PortalState, tokens: TokenPair): Record<string, Encodable> {
    const { access_token, expires, expires_in, scope, user_id, refresh_token } = tokens;
    return {
      access_token,
      expires,
      expires_in,
      scope,
      domain: portal.domain,
      server_endpoint: this.serverEndpoint(portal.region),
      status: 'L',
      client_endpoint: this.restEndpoint,
      member_id: portal.memberId,
      user_id,
      refresh_token,
      application_token: portal.applicationToken,
    };
  }

  /** The auth block of events sent without tokens (ONAPPMETHODCONFIRM, ONAPPUNINSTALL). */
  portalAuth(portal: PortalState): Record<string, Encodable> {
    return {
      domain: portal.domain,
      client_endpoint: this.restEndpoint,
      server_endpoint: this.serverEndpoint(portal.region),
      member_id: portal.memberId,
      application_token: portal.applicationToken,
    };
  }

  /** The administrator installs an app without a UI: ONAPPINSTALL goes to the install URL with fresh tokens. */
  async install(
    installUrl: string,
    options: InstallOptions = {},
  ): Promise<{ portal: PortalState; delivery: Delivery }> {
    const portal = this.newPortal(installUrl, options, false);
    return { portal, delivery: await this.sendInstall(portal) };
  }

  /** The administrator installs an app with a UI: no event; the portal waits for its frame to call BX24.installFinish. */
  installWithUi(installUrl: string, options: InstallOptions = {}): PortalState {
    return this.newPortal(installUrl, options, true);
  }

  private newPortal(installUrl: string, options: InstallOptions, withUi: boolean): PortalState {
    const memberId = options.memberId ?? newSecret();
    const existing = this.portals.get(memberId);
    if (existing && existing.status !== 'uninstalled')
      throw new EmulatorError(`the app is already installed on ${memberId}; use update for a new version`);
    if (options.version !== undefined) checkVersion(options.version);
    const portal: PortalState = {
      memberId,
      domain: options.domain ?? existing?.domain ?? `portal-${memberId.slice(0, 6)}.bitrix24.test`,
      region: options.region ?? existing?.region ?? 'west',
      applicationToken: newSecret(),
      version: options.version ?? '1',
      status: withUi ? 'installing' : 'installed',
      withUi,
      installUrl,
      installBinding: { id: this.nextBindingId++, event: 'ONAPPINSTALL', handler: installUrl, authType: 0 },
      bindings: [],
      limits: new PortalLimits(
        {
          rateLimit: this.options.rateLimit ?? defaultLimitSettings.rateLimit,
          methodTime: Object.fromEntries(
            Object.entries(this.options.methodTime ?? {}).map(([method, seconds]) => [method.toLowerCase(), seconds]),
          ),
          operatingLimitSeconds: this.options.operatingLimitSeconds ?? defaultLimitSettings.operatingLimitSeconds,
          basketSeconds: this.options.basketSeconds ?? defaultLimitSettings.basketSeconds,
        },
        () => this.now(),
      ),
    };
    this.portals.set(memberId, portal);
    return portal;
  }

  /** BX24.installFinish() from the app's frame: the installation is finished, events may flow. */
  finishInstall(memberId: string): PortalState {
    const portal = this.portal(memberId);
    if (portal.status !== 'installing')
      throw new EmulatorError(
        `the installation on ${memberId} is not waiting for installFinish (it is ${portal.status})`,
      );
    portal.status = 'installed';
    return portal;
  }

  /**
   * A new version. Today's portals run the install again: ONAPPINSTALL to the install URL with the new VERSION and
   * fresh tokens, the application_token unchanged. `legacy` sends ONAPPUPDATE to bound handlers, as old portals do.
   */
  async update(memberId: string, options: { version?: string; legacy?: boolean } = {}) {
    const portal = this.installed(memberId);
    const previous = portal.version;
    const version = options.version ?? nextVersion(previous);
    checkVersion(version);
    portal.version = version;
    if (!options.legacy) return { portal, deliveries: [await this.sendInstall(portal)] };
    const data = { VERSION: version, PREVIOUS_VERSION: previous, LANGUAGE_ID };
    return {
      portal,
      deliveries: await this.deliverBound(
        portal,
        'ONAPPUPDATE',
        data,
        this.tokenAuth(portal, this.issueTokens(portal)),
      ),
    };
  }

  /** The administrator removes the app: tokens are revoked, then ONAPPUNINSTALL goes to the bound handlers. */
  async uninstall(memberId: string, clean = false) {
    const portal = this.portal(memberId);
    if (portal.status === 'uninstalled') throw new EmulatorError(`the app is not installed on ${memberId}`);
    this.authority.revoke(memberId);
    const deliveries =
      portal.status === 'installed'
        ? await this.deliverBound(
            portal,
            'ONAPPUNINSTALL',
            { CLEAN: clean ? 1 : 0, LANGUAGE_ID },
            this.portalAuth(portal),
          )
        : [];
    portal.status = 'uninstalled';
    portal.bindings = [];
    this.offline.drop(memberId);
    return { portal, deliveries };
  }

  /** Something happened on the portal: EVENT goes to its bound handlers, with a user's tokens where it carries them. */
  async trigger(
    memberId: string,
    event: string,
    options: { set?: string[]; userId?: number; authConnector?: string | undefined } = {},
  ) {
    const portal = this.installed(memberId);
    const name = event.toUpperCase();
    const payload: Payload = { data: eventData(name) };
    for (const assignment of options.set ?? []) {
      if (!assignment.startsWith('data.'))
        throw new EmulatorError(
          `--set "${assignment}": a triggered event takes data.KEY=VALUE only; auth is the portal's own`,
        );
      applyOverride(payload, assignment);
    }
    const auth = eventCarriesTokens(name)
      ? this.tokenAuth(portal, this.issueTokens(portal, options.userId ?? 1))
      : this.portalAuth(portal);
    this.offline.record(portal, name, payload.data as Record<string, Encodable>, {
      userId: options.userId ?? 1,
      authConnector: options.authConnector,
    });
    return {
      portal,
      deliveries: await this.deliverBound(portal, name, payload.data as Record<string, Encodable>, auth),
    };
  }

  expireTokens(memberId: string): number {
    this.portal(memberId);
    return this.authority.expireAll(memberId);
  }

  /** Revokes the portal's tokens; `refresh` only its refresh tokens (the next refresh answers invalid_grant). */
  revokeTokens(memberId: string, only?: 'refresh'): void {
    this.portal(memberId);
    this.authority.revoke(memberId, only);
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
    const data = { TOKEN: request.token, METHOD: request.method, CONFIRMED: allow ? 1 : 0, LANGUAGE_ID };
    return {
      request,
      deliveries: await this.deliverBound(portal, 'ONAPPMETHODCONFIRM', data, this.portalAuth(portal)),
    };
  }

  /** The confirmation state of (token, method), creating a waiting request (a notification) on first sight. */
  confirmation(memberId: string, token: string, method: string): ConfirmationRequest {
    const found = this.confirmations.find((c) => c.token === token && c.method === method);
    if (found) return found;
    const request: ConfirmationRequest = {
      id: this.confirmations.length + 1,
      memberId,
      method,
      token,
      state: 'waiting',
      requestedAt: new Date(),
    };
    this.confirmations.push(request);
    return request;
  }

  newBindingId(): number {
    return this.nextBindingId++;
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
    if (portal.status === 'installing')
      throw new EmulatorError(
        `the installation on ${memberId} is not finished (BX24.installFinish was not called): the portal sends no events yet`,
      );
    if (portal.status !== 'installed') throw new EmulatorError(`the app is not installed on ${memberId}`);
    return portal;
  }

  private async sendInstall(portal: PortalState): Promise<Delivery> {
    const data = { VERSION: portal.version, ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID };
    const { id, handler } = portal.installBinding;
    return this.record(
      await deliver({
        event: 'ONAPPINSTALL',
        memberId: portal.memberId,
        url: handler,
        eventHandlerId: id,
        data,
        auth: this.tokenAuth(portal, this.issueTokens(portal)),
      }),
    );
  }

  private async deliverBound(
    portal: PortalState,
    event: string,
    data: Record<string, Encodable>,
    auth: Record<string, Encodable>,
  ): Promise<Delivery[]> {
    const bound = portal.bindings.filter((b) => b.event === event);
    const sent = await Promise.all(
      bound.map((b) => {
        const outgoing = { event, memberId: portal.memberId, url: b.handler, eventHandlerId: b.id, data, auth };
        // An outage (emulator outage): the portal sends, the app never hears it; Bitrix24 does not send it again.
        if (this.offline.drops()) return dropped(outgoing);
        return deliver(outgoing);
      }),
    );
    return sent.map((d) => this.record(d));
  }

  private record(delivery: Delivery): Delivery {
    this.deliveries.push(delivery);
    if (this.deliveries.length > 1000) this.deliveries.splice(0, this.deliveries.length - 1000);
    return delivery;
  }
}
