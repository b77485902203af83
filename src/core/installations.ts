/** Installations: the row an install proved through OAuth, and installations registered by hand. */
import { B24EventsError, type RateLimit } from '../protocol/index.js';
import { DEFAULT_OAUTH_SERVERS, tokenExpiry } from '../rest/oauth.js';
import { getInstallation, saveInstallation, setRateLimit } from '../store/installations.js';
import type { Db, InstallationStatus } from '../store/schema.js';
import type { Proof } from './proof-of-origin.js';

export interface ProvedInstall {
  memberId: string;
  /** As the portal names itself (`auth.domain`, the frame's DOMAIN), not the host of an endpoint. */
  domain: string;
  applicationToken: string;
  version: string | undefined;
  status: InstallationStatus;
  now: Date;
}

/**
 * A pair just came from the OAuth server: its age starts now, past failures are forgotten, and a refresh of the pair
 * it replaces loses its lease (that refresh's write-back then changes nothing). A portal that needed reinstalling is
 * healed by the install that brings it.
 */
export const freshPairState = (at: string) =>
  ({
    tokens_refreshed_at: at,
    refresh_attempts: 0,
    refresh_retry_at: null,
    refresh_error: null,
    locked_until: null,
    lease_owner: null,
  }) as const;

/** Stores an install (first, repeated or an update) with the fresh tokens of the OAuth answer that proved it. */
export async function saveProvedInstallation(
  db: Db,
  proof: Extract<Proof, { by: 'oauth' }>,
  install: ProvedInstall,
): Promise<void> {
  const { tokens, installation: previous, oauthServer } = proof;
  const at = install.now.toISOString();
  await saveInstallation(db, {
    member_id: install.memberId,
    domain: install.domain,
    client_endpoint: tokens.client_endpoint ?? previous?.client_endpoint ?? `https://${install.domain}/rest/`,
    server_endpoint: tokens.server_endpoint ?? `${oauthServer}/rest/`,
    oauth_server: oauthServer,
    application_token: install.applicationToken,
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    access_expires_at: tokenExpiry(tokens, install.now),
    scope: tokens.scope ?? previous?.scope ?? null,
    status: install.status,
    version: install.version ?? previous?.version ?? null,
    // A portal that had to reinstall never lost the app: its first install stays the install time.
    installed_at: previous?.status === 'active' || previous?.status === 'needs_reinstall' ? previous.installed_at : at,
    updated_at: at,
    uninstalled_at: null,
    ...freshPairState(at),
  });
}

export interface ManualInstallation {
  memberId: string;
  domain: string;
  applicationToken: string;
  clientEndpoint?: string;
  serverEndpoint?: string;
}

export class InvalidInstallationError extends B24EventsError {
  constructor(message: string) {
    super('invalid_installation', message, 400);
  }
}

export async function registerInstallation(db: Db, input: ManualInstallation): Promise<void> {
  for (const key of ['memberId', 'domain', 'applicationToken'] as const) {
    if (!input[key]?.trim()) throw new InvalidInstallationError(`${key} is required and may not be empty.`);
  }
  if (/[/:\s]/.test(input.domain)) {
    throw new InvalidInstallationError(`domain is a host name such as portal.bitrix24.com, not "${input.domain}".`);
  }
  const clientEndpoint = input.clientEndpoint ?? `https://${input.domain}/rest/`;
  for (const url of [clientEndpoint, input.serverEndpoint]) {
    if (url !== undefined && !URL.canParse(url)) throw new InvalidInstallationError(`"${url}" is not a URL.`);
  }
  const existing = await getInstallation(db, input.memberId);
  const at = new Date().toISOString();
  await saveInstallation(db, {
    member_id: input.memberId,
    domain: input.domain,
    client_endpoint: clientEndpoint,
    server_endpoint: input.serverEndpoint ?? existing?.server_endpoint ?? `${DEFAULT_OAUTH_SERVERS[0]}/rest/`,
    oauth_server: existing?.oauth_server ?? null,
    application_token: input.applicationToken,
    access_token: existing?.access_token ?? null,
    refresh_token: existing?.refresh_token ?? null,
    access_expires_at: existing?.access_expires_at ?? null,
    scope: existing?.scope ?? null,
    status: 'active',
    version: existing?.version ?? null,
    installed_at: existing?.status === 'active' ? existing.installed_at : at,
    updated_at: at,
    uninstalled_at: null,
  });
}

/** Sets a portal's own request limit (its plan), or with null goes back to the app's default. */
export async function setInstallationRateLimit(db: Db, memberId: string, limit: RateLimit | null): Promise<void> {
  if (limit && !(Number.isFinite(limit.perSecond) && limit.perSecond > 0))
    throw new InvalidInstallationError('rateLimit.perSecond must be a number above 0.');
  if (limit && !(Number.isInteger(limit.burst) && limit.burst >= 1))
    throw new InvalidInstallationError('rateLimit.burst must be a whole number of at least 1.');
  if (!(await setRateLimit(db, memberId, limit)))
    throw new InvalidInstallationError(`No installation has member_id ${memberId.slice(0, 100)}.`);
}
