/**
 * Prometheus metrics: what the receiver accepted or refused, how long it took, how handlers ran, REST calls and token
 * refreshes, and (read from the store on each scrape) the inbox backlog, parked calls and installations. No label
 * holds a member_id, a token or any other value a request chose beyond a bounded set.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isKnownEvent } from '../protocol/index.js';
import type { ReceiveOutcome } from '../core/receiver.js';
import type { HandlerOutcome } from '../core/inbox-task.js';
import type { ReconcileOutcome } from '../core/offline-task.js';
import type { Store } from '../store/schema.js';
import { storeGauges } from './metrics-store.js';
import { restOutcome, type RestObservation } from './rest-outcome.js';

/** Event names come from requests; only the catalogue's names become label values. */
const eventLabel = (name: string | undefined) => (name && isKnownEvent(name) ? name : 'other');
/** Method names are the app's own, but a CLI user may type anything: only plain names, bounded in length. */
const methodLabel = (name: string) => (/^[a-z0-9_.]{1,64}$/.test(name.toLowerCase()) ? name.toLowerCase() : 'other');

/** OAuth error codes worth their own label; any other is `other`. */
const REFRESH_FAILURES = new Set([
  'invalid_grant',
  'wrong_client',
  'invalid_client',
  'oauth_unreachable',
  'oauth_timeout',
  'oauth_error',
]);

export function createMetrics(store?: Store) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'b24_events_' });
  const registers = [registry];
  const received = new Counter({
    name: 'b24_events_received_total',
    help: 'Event deliveries by event and outcome (accepted, duplicate, or the refusal code).',
    labelNames: ['event', 'outcome'] as const,
    registers,
  });
  const refused = new Counter({
    name: 'b24_events_refusals_total',
    help: 'Deliveries refused, by reason (the error code answered).',
    labelNames: ['reason'] as const,
    registers,
  });
  const ingest = new Histogram({
    name: 'b24_events_ingest_duration_seconds',
    help: 'Time from a delivery reaching handle() to its answer, by HTTP status.',
    labelNames: ['status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const handled = new Counter({
    name: 'b24_events_handler_runs_total',
    help: 'Runs of stored events through the app handlers, by event and outcome (done, retry, failed).',
    labelNames: ['event', 'outcome'] as const,
    registers,
  });
  const handlerFailures = new Counter({
    name: 'b24_events_handler_failures_total',
    help: 'Handler runs that threw or timed out, by event.',
    labelNames: ['event'] as const,
    registers,
  });
  const handlerDuration = new Histogram({
    name: 'b24_events_handler_duration_seconds',
    help: 'How long one registered handler took on one event, by event.',
    labelNames: ['event'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers,
  });
  const restCalls = new Counter({
    name: 'b24_events_rest_calls_total',
    help: 'REST requests to portals, by method and outcome.',
    labelNames: ['method', 'outcome'] as const,
    registers,
  });
  const restDuration = new Histogram({
    name: 'b24_events_rest_call_duration_seconds',
    help: 'REST request latency, by method.',
    labelNames: ['method'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const refreshes = new Counter({
    name: 'b24_events_token_refreshes_total',
    help: 'OAuth token refreshes, by outcome (ok, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const refreshFailures = new Counter({
    name: 'b24_events_token_refresh_failures_total',
    help: 'OAuth token refreshes that failed, by reason (invalid_grant, wrong_client, invalid_client, oauth_unreachable, ...).',
    labelNames: ['reason'] as const,
    registers,
  });
  const pruned = new Counter({
    name: 'b24_events_pruned_total',
    help: 'Rows deleted by retention, by table (inbox, parked_calls).',
    labelNames: ['table'] as const,
    registers,
  });
  const offlineRecords = new Counter({
    name: 'b24_events_offline_records_total',
    help: "Records read from portals' offline queues, by outcome: recovered (online delivery lost: handlers ran), matched (received online already), failed.",
    labelNames: ['outcome'] as const,
    registers,
  });
  const reconciliations = new Counter({
    name: 'b24_events_offline_reconciliations_total',
    help: 'Runs of the offline reconciler, by outcome (ok, error).',
    labelNames: ['outcome'] as const,
    registers,
  });
  if (store) storeGauges(store, registry);

  return {
    registry,
    countReceived(outcome: ReceiveOutcome) {
      const label = outcome.ok ? (outcome.receipt.duplicate ? 'duplicate' : 'accepted') : outcome.error.code;
      received.inc({ event: eventLabel(outcome.ok ? outcome.receipt.event : outcome.event), outcome: label });
      if (!outcome.ok) refused.inc({ reason: outcome.error.code });
    },
    /** A delivery answered 500 (a bug) or 503 (the database away): nothing was stored. */
    countFailure(status: 500 | 503) {
      received.inc({ event: 'other', outcome: status === 503 ? 'store_unavailable' : 'internal_error' });
    },
    observeIngest(status: number, seconds: number) {
      ingest.observe({ status: String(status) }, seconds);
    },
    countHandled(outcome: HandlerOutcome) {
      handled.inc({ event: eventLabel(outcome.event), outcome: outcome.status });
      if (outcome.status !== 'done') handlerFailures.inc({ event: eventLabel(outcome.event) });
    },
    observeHandler(event: string, seconds: number) {
      handlerDuration.observe({ event: eventLabel(event) }, seconds);
    },
    observeRest(observation: RestObservation) {
      restCalls.inc({ method: methodLabel(observation.method), outcome: restOutcome(observation.error) });
      restDuration.observe({ method: methodLabel(observation.method) }, observation.seconds);
    },
    countReconciliation(outcome: ReconcileOutcome) {
      reconciliations.inc({ outcome: outcome.ok ? 'ok' : 'error' });
      for (const key of ['recovered', 'matched', 'failed'] as const)
        if (outcome.totals?.[key]) offlineRecords.inc({ outcome: key }, outcome.totals[key]);
    },
    countPruned(counts: { events: number; calls: number }) {
      pruned.inc({ table: 'inbox' }, counts.events);
      pruned.inc({ table: 'parked_calls' }, counts.calls);
    },
    countRefresh(outcome: { ok: true } | { ok: false; code: string }) {
      refreshes.inc({ outcome: outcome.ok ? 'ok' : 'failed' });
      if (!outcome.ok) refreshFailures.inc({ reason: REFRESH_FAILURES.has(outcome.code) ? outcome.code : 'other' });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
