/**
 * The app's life on a portal: installed (ONAPPINSTALL at once, or in the administrator's browser until
 * BX24.installFinish), updated (ONAPPINSTALL again, or ONAPPUPDATE on old portals), uninstalled (tokens revoked, then
 * ONAPPUNINSTALL). Events flow only while the app is installed.
 */
import type { Delivery } from './delivery.js';
import { defaultLimitSettings, PortalLimits } from './limits.js';
import { newSecret } from './oauth.js';
import { LANGUAGE_ID } from './outbox.js';
import type { Emulator } from './portal.js';
import { checkVersion, EmulatorError, type InstallOptions, type PortalState } from './types.js';

const nextVersion = (version: string) => String((Number.parseInt(version, 10) || 0) + 1);

/** A portal the app is being installed on (again, after an uninstall: same domain and region unless told). */
export function newPortal(emulator: Emulator, installUrl: string, options: InstallOptions, withUi: boolean) {
  const memberId = options.memberId ?? newSecret();
  const existing = emulator.portals.get(memberId);
  if (existing && existing.status !== 'uninstalled')
    throw new EmulatorError(`the app is already installed on ${memberId}; use update for a new version`);
  if (options.version !== undefined) checkVersion(options.version);
  const settings = emulator.options;
  const portal: PortalState = {
    memberId,
    domain: options.domain ?? existing?.domain ?? `portal-${memberId.slice(0, 6)}.bitrix24.test`,
    region: options.region ?? existing?.region ?? 'west',
    applicationToken: newSecret(),
    version: options.version ?? '1',
    status: withUi ? 'installing' : 'installed',
    withUi,
    installUrl,
    installBinding: { id: emulator.newBindingId(), event: 'ONAPPINSTALL', handler: installUrl, authType: 0 },
    bindings: [],
    limits: new PortalLimits(
      {
        rateLimit: settings.rateLimit ?? defaultLimitSettings.rateLimit,
        methodTime: Object.fromEntries(
          Object.entries(settings.methodTime ?? {}).map(([method, seconds]) => [method.toLowerCase(), seconds]),
        ),
        operatingLimitSeconds: settings.operatingLimitSeconds ?? defaultLimitSettings.operatingLimitSeconds,
        basketSeconds: settings.basketSeconds ?? defaultLimitSettings.basketSeconds,
      },
      () => emulator.now(),
    ),
  };
  emulator.portals.set(memberId, portal);
  return portal;
}

/** The portal, where the app is installed and its installation finished (the portal sends events). */
export function installedPortal(emulator: Emulator, memberId: string): PortalState {
  const portal = emulator.portal(memberId);
  if (portal.status === 'installing')
    throw new EmulatorError(
      `the installation on ${memberId} is not finished (BX24.installFinish was not called): the portal sends no events yet`,
    );
  if (portal.status !== 'installed') throw new EmulatorError(`the app is not installed on ${memberId}`);
  return portal;
}

/** ONAPPINSTALL to the install URL, with the portal's version and fresh tokens of the administrator. */
export function sendInstall(emulator: Emulator, portal: PortalState): Promise<Delivery> {
  const data = { VERSION: portal.version, ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID };
  return emulator.outbox.sendInstall(portal, data, emulator.tokenAuth(portal, emulator.issueTokens(portal)));
}

/** BX24.installFinish() from the app's frame: the installation is finished, events may flow. */
export function finishInstall(emulator: Emulator, memberId: string): PortalState {
  const portal = emulator.portal(memberId);
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
export async function updateApp(emulator: Emulator, memberId: string, options: { version?: string; legacy?: boolean }) {
  const portal = installedPortal(emulator, memberId);
  const previous = portal.version;
  const version = options.version ?? nextVersion(previous);
  checkVersion(version);
  portal.version = version;
  if (!options.legacy) return { portal, deliveries: [await sendInstall(emulator, portal)] };
  const data = { VERSION: version, PREVIOUS_VERSION: previous, LANGUAGE_ID };
  const auth = emulator.tokenAuth(portal, emulator.issueTokens(portal));
  return { portal, deliveries: await emulator.outbox.deliverBound(portal, 'ONAPPUPDATE', data, auth) };
}

/** The administrator removes the app: tokens are revoked, then ONAPPUNINSTALL goes to the bound handlers. */
export async function uninstallApp(emulator: Emulator, memberId: string, clean: boolean) {
  const portal = emulator.portal(memberId);
  if (portal.status === 'uninstalled') throw new EmulatorError(`the app is not installed on ${memberId}`);
  emulator.authority.revoke(memberId);
  const data = { CLEAN: clean ? 1 : 0, LANGUAGE_ID };
  const deliveries =
    portal.status === 'installed'
      ? await emulator.outbox.deliverBound(portal, 'ONAPPUNINSTALL', data, emulator.portalAuth(portal))
      : [];
  portal.status = 'uninstalled';
  portal.bindings = [];
  emulator.offline.drop(memberId);
  return { portal, deliveries };
}
