/** The `auth` block of the portal's events (docs/protocol.md section 2): with a user's tokens, or without. */
import type { Encodable } from '../protocol/index.js';
import type { Region, TokenPair } from './oauth.js';
import type { PortalState } from './types.js';

/** Where the portal answers: REST for the app's pages (client), and the OAuth server of the portal's region. */
export interface Endpoints {
  restEndpoint: string;
  serverEndpoint(region: Region): string;
}

/** The auth block of events sent with a user's tokens. */
export function tokenAuth(endpoints: Endpoints, portal: PortalState, tokens: TokenPair): Record<string, Encodable> {
  const { access_token, expires, expires_in, scope, user_id, refresh_token } = tokens;
  return {
    access_token,
    expires,
    expires_in,
    scope,
    domain: portal.domain,
    server_endpoint: endpoints.serverEndpoint(portal.region),
    status: 'L',
    client_endpoint: endpoints.restEndpoint,
    member_id: portal.memberId,
    user_id,
    refresh_token,
    application_token: portal.applicationToken,
  };
}

/** The auth block of events sent without tokens (ONAPPMETHODCONFIRM, ONAPPUNINSTALL). */
export function portalAuth(endpoints: Endpoints, portal: PortalState): Record<string, Encodable> {
  return {
    domain: portal.domain,
    client_endpoint: endpoints.restEndpoint,
    server_endpoint: endpoints.serverEndpoint(portal.region),
    member_id: portal.memberId,
    application_token: portal.applicationToken,
  };
}
