/** A fake Bitrix24 OAuth server on 127.0.0.1 (the emulator's), seeded with one portal. */
import type { OAuthAuthority, TokenPair } from '../../src/emulator/oauth.js';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { defaultLimitSettings, PortalLimits } from '../../src/emulator/limits.js';
import { Emulator } from '../../src/emulator/portal.js';
import { APPLICATION_TOKEN, atOAuthServer, DOMAIN, MEMBER_ID } from '../fixtures/bodies.js';

export const CLIENT_ID = 'local.5c8bb1b0891cf2.87252039';
export const CLIENT_SECRET = 'SakeVG5mbRdcQet45UUrt6q72AMTo7fkwXSO7Y5LYFYNCRsA6f';

export interface FakeOAuth extends RunningEmulator {
  authority: OAuthAuthority;
  /** Its own `server_endpoint` (`{url}/rest/`), as events from its portals name it. */
  serverEndpoint: string;
  /** A fixture body whose server_endpoint names this server. */
  regional(body: string): string;
  /** A token pair for the fixtures' portal, as ONAPPINSTALL would carry it. */
  issue(memberId?: string): TokenPair;
}

export async function startFakeOAuth(): Promise<FakeOAuth> {
  const emulator = new Emulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const authority = emulator.authority;
  const running = await serveEmulator(emulator);
  return {
    ...running,
    authority,
    serverEndpoint: `${running.url}/rest/`,
    regional: (body) => atOAuthServer(body, `${running.url}/rest/`),
    issue: (memberId = MEMBER_ID) => {
      // A portal of the emulator's, so that its REST endpoint answers for the tokens (user.admin, say).
      if (!emulator.portals.has(memberId)) {
        const installBinding = {
          id: 1,
          event: 'ONAPPINSTALL',
          handler: 'http://127.0.0.1:9/bitrix24/install',
          authType: 0,
        };
        emulator.portals.set(memberId, {
          memberId,
          domain: DOMAIN,
          region: 'west',
          applicationToken: APPLICATION_TOKEN,
          version: '1',
          status: 'installed',
          withUi: false,
          installUrl: installBinding.handler,
          installBinding,
          bindings: [],
          limits: new PortalLimits({ ...defaultLimitSettings, rateLimit: false }, Date.now),
        });
      }
      return authority.issue({
        memberId,
        domain: DOMAIN,
        clientEndpoint: `${running.url}/rest/`,
        serverEndpoint: `${running.url}/rest/`,
      });
    },
  };
}
