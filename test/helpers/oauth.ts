/** A fake Bitrix24 OAuth server on 127.0.0.1 (the emulator's), seeded with one portal. */
import type { OAuthAuthority, TokenPair } from '../../src/emulator/oauth.js';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { Emulator } from '../../src/emulator/portal.js';
import { DOMAIN, MEMBER_ID } from '../fixtures/bodies.js';

export const CLIENT_ID = 'local.5c8bb1b0891cf2.87252039';
export const CLIENT_SECRET = 'SakeVG5mbRdcQet45UUrt6q72AMTo7fkwXSO7Y5LYFYNCRsA6f';

export interface FakeOAuth extends RunningEmulator {
  authority: OAuthAuthority;
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
    issue: (memberId = MEMBER_ID) =>
      authority.issue({
        memberId,
        domain: DOMAIN,
        clientEndpoint: `https://${DOMAIN}/rest/`,
        serverEndpoint: 'https://oauth.bitrix.info/rest/',
      }),
  };
}
