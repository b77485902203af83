/**
 * The emulator's offline event queue, as docs/protocol.md#8-offline-events describes it: per portal and source key
 * (`auth_connector`), one record per object (merged by event name and data: its TIMESTAMP_X moves to the last
 * change), reservation under a `process_id`, clear and error marks, ONOFFLINEEVENT signals at most once per
 * `minTimeout`, and a change made with a source key not queued to that key's queue. Also the faults a demo needs:
 * an outage (online deliveries dropped for N seconds, or a share of them) and the plan's features.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Encodable } from '../protocol/index.js';
import type { PortalState } from './types.js';

export interface OfflineRecordState {
  id: number;
  /** Whole seconds (ms), as the portal's datetime column keeps it. */
  timestampX: number;
  eventName: string;
  eventData: Record<string, Encodable> | false;
  userId: number | null;
  /** md5 of the event name and data: the merge key. */
  messageId: string;
  /** The source key of the queue the record is in (null: the queue without a source). */
  connector: string | null;
  processId: string | null;
  error: boolean;
}

export interface OfflineBinding {
  id: number;
  event: string;
  authConnector: string | null;
}

interface PortalQueue {
  bindings: OfflineBinding[];
  records: OfflineRecordState[];
  /** ONOFFLINEEVENT's minTimeout in seconds (from its binding's options), default 1. */
  minTimeout: number;
  lastSignalAt: number;
  pendingSignal: NodeJS.Timeout | undefined;
}

export interface OfflineFault {
  status: number;
  error: string;
  description: string;
  /** Only these methods fail (default: every offline method). */
  methods?: string[];
}

/** PHP's date(DATE_ATOM) of a whole second. */
export const atom = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+00:00`;

export class OfflineQueues {
  /** The plan has rest_offline_extended: clear=0 reserves a batch. */
  extended = true;
  /** The plan has rest_auth_connector: source keys are accepted. */
  authConnector = true;
  /** Online deliveries are dropped until then (ms), or this share of them at random. */
  outageUntil = 0;
  dropShare = 0;
  /** When set, the offline methods answer this error (a portal in trouble). */
  fault: OfflineFault | undefined;
  readonly stats = { recorded: 0, merged: 0, signals: 0, dropped: 0 };
  private nextId = 1;
  private readonly queues = new Map<string, PortalQueue>();

  constructor(private readonly signal: (portal: PortalState) => Promise<unknown>) {}

  queue(memberId: string): PortalQueue {
    let queue = this.queues.get(memberId);
    if (!queue) {
      queue = { bindings: [], records: [], minTimeout: 1, lastSignalAt: 0, pendingSignal: undefined };
      this.queues.set(memberId, queue);
    }
    return queue;
  }

  records(memberId: string, connector: string | null): OfflineRecordState[] {
    return this.queue(memberId).records.filter((r) => r.connector === connector);
  }

  /** Uninstalling deletes the portal's queue and its offline bindings. */
  drop(memberId: string): void {
    clearTimeout(this.queues.get(memberId)?.pendingSignal);
    this.queues.delete(memberId);
  }

  /** Whether the next online delivery is lost (an outage, or the drop share). */
  drops(now = Date.now()): boolean {
    const lost = now < this.outageUntil || (this.dropShare > 0 && Math.random() < this.dropShare);
    if (lost) this.stats.dropped++;
    return lost;
  }

  /**
   * Something happened on the portal: one record per offline queue bound for the event, except the queue of the
   * source key the change was made with (the app's own write). Then the signal, if bound.
   */
  record(
    portal: PortalState,
    event: string,
    data: Record<string, Encodable>,
    change: { userId?: number; authConnector?: string | undefined } = {},
    now = Date.now(),
  ): number {
    const queue = this.queue(portal.memberId);
    const connectors = new Set(queue.bindings.filter((b) => b.event === event).map((b) => b.authConnector));
    if (change.authConnector !== undefined) connectors.delete(change.authConnector);
    const eventData = Object.keys(data).length > 0 ? data : false;
    const messageId = createHash('md5')
      .update(`${event}${JSON.stringify(eventData)}`)
      .digest('hex');
    const second = Math.floor(now / 1000) * 1000;
    for (const connector of connectors) {
      // A record reserved by a batch (or marked failed) is not touched: the change becomes a new record.
      const open = queue.records.find(
        (r) => r.messageId === messageId && r.connector === connector && r.processId === null && !r.error,
      );
      if (open) {
        open.timestampX = second;
        open.userId = change.userId ?? null;
        this.stats.merged++;
        continue;
      }
      queue.records.push({
        id: this.nextId++,
        timestampX: second,
        eventName: event,
        eventData,
        userId: change.userId ?? null,
        messageId,
        connector,
        processId: null,
        error: false,
      });
      this.stats.recorded++;
    }
    if (connectors.size > 0) this.schedule(portal, now);
    return connectors.size;
  }

  /** ONOFFLINEEVENT now if `minTimeout` has passed since the last one, else once when it has. */
  private schedule(portal: PortalState, now: number): void {
    const queue = this.queue(portal.memberId);
    if (!portal.bindings.some((b) => b.event === 'ONOFFLINEEVENT') || queue.pendingSignal) return;
    const wait = queue.lastSignalAt + queue.minTimeout * 1000 - now;
    const send = () => {
      queue.pendingSignal = undefined;
      queue.lastSignalAt = Date.now();
      this.stats.signals++;
      void this.signal(portal);
    };
    if (wait <= 0) send();
    else {
      queue.pendingSignal = setTimeout(send, wait);
      queue.pendingSignal.unref();
    }
  }

  newProcessId(): string {
    return randomBytes(16).toString('hex');
  }

  close(): void {
    for (const queue of this.queues.values()) clearTimeout(queue.pendingSignal);
  }
}
