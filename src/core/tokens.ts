/**
 * Access tokens from the installations table, refreshed when a call needs it. A refresh token works once: callers in
 * this process share one refresh per portal, and across instances (and with the keep-alive task) the refresh lease
 * on the installation decides who spends it; the others wait for the lease and use the pair it stored.
 */
import { randomUUID } from 'node:crypto';
import type { PortalAccess, TokenSource } from '../rest/client.js';
import { getInstallation, rateLimitOf } from '../store/installations.js';
import { leaseFor } from '../store/lease.js';
import type { Installation, Store } from '../store/schema.js';
import { leaseRefresh, releaseRefresh } from '../store/token-refresh.js';
import { PortalUnavailableError, unavailable } from './portal-unavailable.js';
import { grantLost, type TokenRefresher } from './token-refresh.js';

export { PortalUnavailableError } from './portal-unavailable.js';

/** Longer than a refresh can take (the OAuth request's own timeout is 10 s): a holder that died frees it by then. */
export const REFRESH_LEASE_MS = 60_000;
/** How often a caller looks whether the lease another holds was released. */
const LEASE_POLL_MS = 50;

function accessOf(row: Installation): PortalAccess {
  if (row.status !== 'active') throw unavailable(row);
  if (!row.access_token || !row.client_endpoint) {
    throw new PortalUnavailableError(
      row.member_id,
      'the installation has no OAuth tokens (it was registered by hand, or uninstalled).',
      row.status,
    );
  }
  return {
    memberId: row.member_id,
    clientEndpoint: row.client_endpoint,
    accessToken: row.access_token,
    expiresAt: row.access_expires_at ? new Date(row.access_expires_at) : null,
    rateLimit: rateLimitOf(row),
  };
}

export class InstallationTokens implements TokenSource {
  private readonly inflight = new Map<string, Promise<PortalAccess>>();

  constructor(
    private readonly store: Store,
    private readonly refresher: TokenRefresher,
  ) {}

  async current(memberId: string): Promise<PortalAccess> {
    return accessOf(await this.installation(memberId));
  }

  refresh(memberId: string, stale: PortalAccess): Promise<PortalAccess> {
    let pending = this.inflight.get(memberId);
    if (!pending) {
      pending = this.refreshNow(memberId, stale).finally(() => this.inflight.delete(memberId));
      this.inflight.set(memberId, pending);
    }
    return pending;
  }

  private async installation(memberId: string): Promise<Installation> {
    const row = await getInstallation(this.store.db, memberId);
    if (!row) throw new PortalUnavailableError(memberId, 'no installation is known for it.');
    return row;
  }

  private async refreshNow(memberId: string, stale: PortalAccess): Promise<PortalAccess> {
    for (;;) {
      // Someone (another call, another instance, the keep-alive) refreshed already: use theirs.
      const seen = await this.installation(memberId);
      if (seen.access_token !== stale.accessToken) return accessOf(seen);
      accessOf(seen);
      const lease = leaseFor(`refresh/${randomUUID()}`, REFRESH_LEASE_MS);
      const row = await leaseRefresh(this.store.db, memberId, lease);
      if (!row) {
        await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
        continue;
      }
      if (row.access_token !== stale.accessToken || row.status !== 'active') {
        await releaseRefresh(this.store.db, memberId, lease.owner);
        return accessOf(row);
      }
      return this.spend(row, lease.owner);
    }
  }

  /** Spends the refresh token under the lease: the new pair, or PortalUnavailableError when it was refused for good. */
  private async spend(row: Installation, owner: string): Promise<PortalAccess> {
    try {
      await this.refresher.stored(row, owner, await this.refresher.send(row));
    } catch (error) {
      if (grantLost(error)) await this.refresher.lost(row, owner, error);
      else await releaseRefresh(this.store.db, row.member_id, owner);
      const now = await this.installation(row.member_id);
      if (now.status === 'needs_reinstall') throw unavailable(now);
      // An install brought a new pair while this refresh was on its way: that one works.
      if (now.access_token && now.access_token !== row.access_token) return accessOf(now);
      throw error;
    }
    return this.current(row.member_id);
  }
}
