/** The REST client's limits kept in the store: the portal's leaky bucket (the store's engine decides where) and method blocks. */
import type { LimitsStore } from '../rest/method-limits.js';
import { blocksInForce, blockMethod } from '../store/method-blocks.js';
import type { Store } from '../store/schema.js';

export function storeLimits(store: Store): LimitsStore {
  return {
    reserveRequest: (memberId, limit, full) => store.reserveRequest(memberId, limit, full),
    async blocks(memberId) {
      const found = await blocksInForce(store.db, memberId, new Date().toISOString());
      return new Map(found.map((b) => [b.method, new Date(b.until)]));
    },
    block: (memberId, method, until, reason) =>
      blockMethod(store.db, { memberId, method, until: until.toISOString(), reason }, new Date().toISOString()),
  };
}
