/** The emulator's state: portals, their bindings and confirmation requests, and its errors. */
import type { RateLimit } from '../protocol/index.js';
import type { PortalLimits } from './limits.js';
import type { Region } from './oauth.js';

export interface EmulatorOptions {
  clientId?: string;
  clientSecret?: string;
  /** Access token lifetime. Default 3600 s. */
  accessTtlSeconds?: number;
  /** Refresh token lifetime: a refresh after it answers 400 invalid_grant. Default 180 days. */
  refreshTtlSeconds?: number;
  /** The portal's clock (milliseconds), which token lifetimes and its limits follow. Default Date.now; `advanceClock` moves it on. */
  now?: () => number;
  /** Per-portal request limit; false turns it off. Default 2/s, burst 50. */
  rateLimit?: RateLimit | false;
  /** Execution time one run of a method costs, in seconds, counted against its limit (default: 0 for every method). */
  methodTime?: Record<string, number>;
  /** A method's execution time within the ten-basket window before OPERATION_TIME_LIMIT. Default 480 s. */
  operatingLimitSeconds?: number;
  /** One basket of that window. Default 60 s, like Bitrix24; tests shorten it to play minutes in seconds. */
  basketSeconds?: number;
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

export type PortalStatus = 'installing' | 'installed' | 'uninstalled';

export interface PortalState {
  memberId: string;
  domain: string;
  region: Region;
  applicationToken: string;
  /** A short string, as the portal keeps it (4 characters at most). */
  version: string;
  status: PortalStatus;
  /** The app opens in the administrator's browser to install (no ONAPPINSTALL). */
  withUi: boolean;
  installUrl: string;
  /** The portal's own binding of ONAPPINSTALL to the install URL: its id is the event_handler_id. */
  installBinding: Binding;
  bindings: Binding[];
  /** Its request limit, method time limits and manual blocks, and what it saw of them. */
  limits: PortalLimits;
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

export interface InstallOptions {
  memberId?: string;
  domain?: string;
  version?: string;
  region?: Region;
}

/** The portal keeps VERSION in 4 characters and reads it with intval. */
export function checkVersion(version: string): void {
  if (!/^[0-9][0-9A-Za-z.]{0,3}$/.test(version))
    throw new EmulatorError(
      `version "${version.slice(0, 20)}" is not a short version (at most 4 characters, starting with a digit, like 2 or 1.1)`,
    );
}

export class EmulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorError';
  }
}
