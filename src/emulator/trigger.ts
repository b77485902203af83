/**
 * Something happens on the portal: the event goes to the handlers bound to it, with a user's tokens where it carries
 * them, and into the offline queue where the app asked for one (src/emulator/offline.ts).
 */
import type { Encodable } from '../protocol/index.js';
import { installedPortal } from './lifecycle.js';
import type { Emulator } from './portal.js';
import { applyOverride, eventCarriesTokens, eventData, type Payload } from './samples.js';
import { EmulatorError } from './types.js';

export interface TriggerOptions {
  /** data.KEY=VALUE overrides of the sample data. */
  set?: string[];
  /** The user whose tokens an event that carries tokens sends (default 1, the administrator). */
  userId?: number;
  authConnector?: string | undefined;
}

export async function triggerEvent(emulator: Emulator, memberId: string, event: string, options: TriggerOptions) {
  const portal = installedPortal(emulator, memberId);
  const name = event.toUpperCase();
  const payload: Payload = { data: eventData(name) };
  for (const assignment of options.set ?? []) {
    if (!assignment.startsWith('data.'))
      throw new EmulatorError(
        `--set "${assignment}": a triggered event takes data.KEY=VALUE only; auth is the portal's own`,
      );
    applyOverride(payload, assignment);
  }
  const auth = eventCarriesTokens(name)
    ? emulator.tokenAuth(portal, emulator.issueTokens(portal, options.userId ?? 1))
    : emulator.portalAuth(portal);
  emulator.offline.record(portal, name, payload.data as Record<string, Encodable>, {
    userId: options.userId ?? 1,
    authConnector: options.authConnector,
  });
  return {
    portal,
    deliveries: await emulator.outbox.deliverBound(portal, name, payload.data as Record<string, Encodable>, auth),
  };
}
