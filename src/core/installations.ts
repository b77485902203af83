/** Installations registered by hand, for apps whose install flow lives outside this server. */
import { B24EventsError } from '../protocol/index.js';
import { getInstallation, saveInstallation } from '../store/installations.js';
import type { Db } from '../store/schema.js';

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
    server_endpoint: input.serverEndpoint ?? existing?.server_endpoint ?? 'https://oauth.bitrix.info/rest/',
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
