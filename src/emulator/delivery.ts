/**
 * How the portal sends an event: one POST, form-encoded like PHP's http_build_query, with `event_handler_id` (the
 * binding's id), `data`, `ts` and `auth`; a failure is recorded and never retried (docs/protocol.md section 1).
 */
import { httpBuildQuery, type Encodable } from '../protocol/index.js';

export interface Delivery {
  event: string;
  memberId: string;
  url: string;
  eventHandlerId: number;
  /** The app's HTTP status; `failed` when it did not answer; `dropped` when an emulated outage lost it. */
  status: number | 'failed' | 'dropped';
  at: Date;
}

export interface Outgoing {
  event: string;
  memberId: string;
  url: string;
  eventHandlerId: number;
  data: Record<string, Encodable>;
  auth: Record<string, Encodable>;
}

/** The body exactly as the portal writes it. */
export function eventBody(outgoing: Outgoing, now = Date.now()): string {
  const { event, eventHandlerId, data, auth } = outgoing;
  return httpBuildQuery({ event, event_handler_id: eventHandlerId, data, ts: Math.floor(now / 1000), auth });
}

export async function deliver(outgoing: Outgoing, timeoutMs = 10_000): Promise<Delivery> {
  let status: Delivery['status'];
  try {
    const response = await fetch(outgoing.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: eventBody(outgoing),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    await response.arrayBuffer();
  } catch {
    status = 'failed';
  }
  const { event, memberId, url, eventHandlerId } = outgoing;
  return { event, memberId, url, eventHandlerId, status, at: new Date() };
}

/** A delivery an emulated outage lost: recorded as sent, never reaching the app. */
export function dropped(outgoing: Outgoing): Delivery {
  const { event, memberId, url, eventHandlerId } = outgoing;
  return { event, memberId, url, eventHandlerId, status: 'dropped', at: new Date() };
}
