/**
 * `app.rest(memberId)`: REST calls whose outcome is a value. A method that waits for the administrator answers
 * `{status: 'waiting'}` (and with `whenWaiting.park`, the call is stored to be replayed once granted); a refusal
 * answers `{status: 'denied'}`. Every answer about confirmation is written to the permission ledger.
 */
import { MethodConfirmDenied, MethodConfirmWaiting, type TokenInfo } from '../rest/errors.js';
import type { BatchAnswer, BatchCommand, RestClient } from '../rest/client.js';
import type { Params } from '../rest/transport.js';
import { recordWaitingCall } from '../store/parked-calls.js';
import { recordRefusal } from '../store/permissions.js';
import type { Store } from '../store/schema.js';
import { permissionView, type Permission } from './views.js';

export interface CallOptions {
  whenWaiting?: { park: string };
}

export type CallOutcome<R = unknown> =
  | { status: 'ok'; result: R; time?: unknown; next?: number; total?: number }
  | { status: 'waiting'; permission: Permission; parkedCallId?: number }
  | { status: 'denied'; permission: Permission };

export interface PortalClient {
  call<R = unknown>(method: string, params?: Params, options?: CallOptions): Promise<CallOutcome<R>>;
  batch(commands: BatchCommand[] | Record<string, BatchCommand>): Promise<BatchAnswer>;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function portalClient(
  store: Store,
  rest: RestClient,
  memberId: string,
  onReady: () => void,
  ready: () => Promise<void>,
): PortalClient {
  return {
    async call<R>(rawMethod: string, params: Params = {}, options: CallOptions = {}): Promise<CallOutcome<R>> {
      await ready();
      const method = rawMethod.toLowerCase();
      const startedAt = new Date().toISOString();
      try {
        const { body } = await rest.request(memberId, rawMethod, params);
        return { status: 'ok', result: body.result as R, time: body.time, next: body.next, total: body.total };
      } catch (error) {
        if (!(error instanceof MethodConfirmWaiting || error instanceof MethodConfirmDenied) || !error.token)
          throw error;
        const token: TokenInfo = error.token;
        const key = { memberId, tokenHash: token.tokenHash, method };
        const at = new Date().toISOString();
        if (error instanceof MethodConfirmDenied) {
          const row = await recordRefusal(store.db, { ...key, tokenExpiresAt: iso(token.tokenExpiresAt), at });
          return { status: 'denied', permission: permissionView(row) };
        }
        const park = options.whenWaiting?.park;
        const { permission: row, parkedCallId } = await recordWaitingCall(store, {
          key,
          tokenExpiresAt: iso(token.tokenExpiresAt),
          startedAt,
          at,
          park: park ? { continuation: park, params: JSON.stringify(params) } : undefined,
        });
        if (row.state !== 'waiting') {
          onReady();
          if (row.state === 'denied' && !park) return { status: 'denied', permission: permissionView(row) };
        }
        return parkedCallId === undefined
          ? { status: 'waiting', permission: permissionView(row) }
          : { status: 'waiting', permission: permissionView(row), parkedCallId };
      }
    },
    batch: async (commands) => (await ready(), rest.batch(memberId, commands)),
  };
}
