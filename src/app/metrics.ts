/** Prometheus counters for what the receiver accepted or refused and how handlers ended. */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { isKnownEvent } from '../protocol/index.js';
import type { ReceiveOutcome } from '../core/receiver.js';
import type { HandlerOutcome } from '../core/inbox-task.js';

/** Event names come from requests; only the catalogue's names become label values. */
const eventLabel = (name: string | undefined) => (name && isKnownEvent(name) ? name : 'other');

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'b24_events_' });
  const received = new Counter({
    name: 'b24_events_received_total',
    help: 'Event deliveries by event and outcome (accepted, duplicate, or the refusal code).',
    labelNames: ['event', 'outcome'] as const,
    registers: [registry],
  });
  const handled = new Counter({
    name: 'b24_events_handler_runs_total',
    help: 'Runs of stored events through the app handlers, by event and outcome (done, retry, failed).',
    labelNames: ['event', 'outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    countReceived(outcome: ReceiveOutcome) {
      const label = outcome.ok ? (outcome.receipt.duplicate ? 'duplicate' : 'accepted') : outcome.error.code;
      received.inc({ event: eventLabel(outcome.ok ? outcome.receipt.event : outcome.event), outcome: label });
    },
    /** A delivery answered 500 (a bug) or 503 (the database away): nothing was stored. */
    countFailure(status: 500 | 503) {
      received.inc({ event: 'other', outcome: status === 503 ? 'store_unavailable' : 'internal_error' });
    },
    countHandled(outcome: HandlerOutcome) {
      handled.inc({ event: eventLabel(outcome.event), outcome: outcome.status });
    },
  };
}
