/**
 * A fake Bitrix24 portal (or several), following docs/protocol.md: installs the app (with ONAPPINSTALL, or in the
 * administrator's browser for apps with a UI, finished by BX24.installFinish), updates it with a second ONAPPINSTALL
 * under the same application_token, keeps event bindings, gates methods that need the administrator's confirmation
 * per access token and method, and delivers events to bound handlers only, never retried, never while installing.
 */
import type { Encodable } from '../protocol/index.js';
import { confirmationFor, decideRequest, describeRequest } from './confirmations.js';
import type { Delivery } from './delivery.js';
import { portalAuth, tokenAuth } from './event-auth.js';
import { finishInstall, newPortal, sendInstall, uninstallApp, updateApp } from './lifecycle.js';
import { OAuthAuthority, type Region, type TokenPair } from './oauth.js';
import { OfflineQueues } from './offline.js';
import { Outbox } from './outbox.js';
import { handleRest, type RestAnswer } from './rest.js';
import { type TriggerOptions, triggerEvent } from './trigger.js';
import {
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
  /** What the portal sends (src/emulator/outbox.ts); each delivery lands in `deliveries`. */
  readonly outbox: Outbox = new Outbox(this.deliveries, () => this.offline.drops());
  /** The offline event queues, the plan's offline features, outages (src/emulator/offline.ts). */
  readonly offline: OfflineQueues = new OfflineQueues((portal) =>
    this.outbox.deliverBound(portal, 'ONOFFLINEEVENT', {}, this.tokenAuth(portal, this.issueTokens(portal))),
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
    return tokenAuth(this, portal, tokens);
  }

  /** The auth block of events sent without tokens (ONAPPMETHODCONFIRM, ONAPPUNINSTALL). */
  portalAuth(portal: PortalState): Record<string, Encodable> {
    return portalAuth(this, portal);
  }

  /** The administrator installs an app without a UI: ONAPPINSTALL goes to the install URL with fresh tokens. */
  async install(
    installUrl: string,
    options: InstallOptions = {},
  ): Promise<{ portal: PortalState; delivery: Delivery }> {
    const portal = newPortal(this, installUrl, options, false);
    return { portal, delivery: await sendInstall(this, portal) };
  }

  /** The administrator installs an app with a UI: no event; the portal waits for its frame to call BX24.installFinish. */
  installWithUi(installUrl: string, options: InstallOptions = {}): PortalState {
    return newPortal(this, installUrl, options, true);
  }

  /** BX24.installFinish() from the app's frame: the installation is finished, events may flow. */
  finishInstall(memberId: string): PortalState {
    return finishInstall(this, memberId);
  }

  /** A new version: ONAPPINSTALL again, or ONAPPUPDATE with `legacy` (src/emulator/lifecycle.ts). */
  update(memberId: string, options: { version?: string; legacy?: boolean } = {}) {
    return updateApp(this, memberId, options);
  }

  /** The administrator removes the app: tokens are revoked, then ONAPPUNINSTALL goes to the bound handlers. */
  uninstall(memberId: string, clean = false) {
    return uninstallApp(this, memberId, clean);
  }

  /** Something happened on the portal: EVENT goes to its bound handlers, with a user's tokens where it carries them. */
  trigger(memberId: string, event: string, options: TriggerOptions = {}) {
    return triggerEvent(this, memberId, event, options);
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
    return describeRequest(request);
  }

  /** The administrator allows or denies a waiting request: ONAPPMETHODCONFIRM goes to the bound handlers. */
  decide(requestId: number, allow: boolean) {
    return decideRequest(this, requestId, allow);
  }

  /** The confirmation state of (token, method), creating a waiting request (a notification) on first sight. */
  confirmation(memberId: string, token: string, method: string): ConfirmationRequest {
    return confirmationFor(this.confirmations, memberId, token, method);
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
}
