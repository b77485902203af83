/**
 * The portal's outgoing events: ONAPPINSTALL to the install URL, every other event to the handlers bound to it; each
 * delivery recorded (the last 1000), none retried, and lost while an emulated outage drops them.
 */
import type { Encodable } from '../protocol/index.js';
import { deliver, dropped, type Delivery } from './delivery.js';
import type { PortalState } from './types.js';

/** The language the portal names in its events' data. */
export const LANGUAGE_ID = 'en';

export class Outbox {
  constructor(
    /** Every delivery, newest last (the Emulator's `deliveries`). */
    readonly deliveries: Delivery[],
    /** True while an outage loses what the portal sends. */
    private readonly drops: () => boolean,
  ) {}

  /** ONAPPINSTALL to the install URL (its binding is the install itself; no outage drops it). */
  async sendInstall(portal: PortalState, data: Record<string, Encodable>, auth: Record<string, Encodable>) {
    const { id, handler } = portal.installBinding;
    return this.record(
      await deliver({ event: 'ONAPPINSTALL', memberId: portal.memberId, url: handler, eventHandlerId: id, data, auth }),
    );
  }

  /** EVENT to each handler bound to it on the portal. */
  async deliverBound(
    portal: PortalState,
    event: string,
    data: Record<string, Encodable>,
    auth: Record<string, Encodable>,
  ): Promise<Delivery[]> {
    const bound = portal.bindings.filter((b) => b.event === event);
    const sent = await Promise.all(
      bound.map((b) => {
        const outgoing = { event, memberId: portal.memberId, url: b.handler, eventHandlerId: b.id, data, auth };
        // An outage (emulator outage): the portal sends, the app never hears it; Bitrix24 does not send it again.
        if (this.drops()) return dropped(outgoing);
        return deliver(outgoing);
      }),
    );
    return sent.map((d) => this.record(d));
  }

  private record(delivery: Delivery): Delivery {
    this.deliveries.push(delivery);
    if (this.deliveries.length > 1000) this.deliveries.splice(0, this.deliveries.length - 1000);
    return delivery;
  }
}
