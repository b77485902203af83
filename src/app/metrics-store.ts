/**
 * Gauges read from the store when /metrics is scraped: the inbox backlog and its oldest waiting event, parked calls
 * by state, installations by status. A database that does not answer leaves them at their last values (the scrape
 * itself must not fail; /readyz says the store is away).
 */
import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/schema.js';
import { inboxBacklog, installationsByStatus, offlineSummary, parkedCallsByState } from '../store/stats.js';

const PARKED_STATES = ['waiting', 'ready', 'done', 'denied', 'failed'] as const;
const INSTALLATION_STATUSES = ['installing', 'active', 'needs_reinstall', 'uninstalled'] as const;

export function storeGauges(store: Store, registry: Registry): void {
  const registers = [registry];
  const quietly = async (read: () => Promise<void>) => {
    await read().catch(() => {});
  };
  new Gauge({
    name: 'b24_events_inbox_backlog',
    help: 'Events whose handlers have not finished (pending or processing).',
    registers,
    async collect() {
      await quietly(async () => this.set((await inboxBacklog(store.db)).waiting));
    },
  });
  new Gauge({
    name: 'b24_events_inbox_oldest_pending_age_seconds',
    help: 'Age of the oldest event whose handlers have not finished; 0 when there is none.',
    registers,
    async collect() {
      await quietly(async () => {
        const { oldestReceivedAt } = await inboxBacklog(store.db);
        this.set(oldestReceivedAt ? Math.max(0, (Date.now() - Date.parse(oldestReceivedAt)) / 1000) : 0);
      });
    },
  });
  new Gauge({
    name: 'b24_events_parked_calls',
    help: 'Parked calls by state.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      await quietly(async () => {
        const counts = await parkedCallsByState(store.db);
        for (const state of PARKED_STATES) this.set({ state }, counts[state] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'b24_events_installations',
    help: 'Installations by status.',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      await quietly(async () => {
        const counts = await installationsByStatus(store.db);
        for (const status of INSTALLATION_STATUSES) this.set({ status }, counts[status] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'b24_events_offline_backlog',
    help: "Records waiting in the portals' offline queues when last looked, summed over portals.",
    registers,
    async collect() {
      await quietly(async () => this.set((await offlineSummary(store.db)).backlog));
    },
  });
  new Gauge({
    name: 'b24_events_offline_last_reconciliation_age_seconds',
    help: 'Age of the oldest "last reconciliation" among portals with an offline queue; 0 when there is none.',
    registers,
    async collect() {
      await quietly(async () => {
        const { oldestReconciledAt } = await offlineSummary(store.db);
        this.set(oldestReconciledAt ? Math.max(0, (Date.now() - Date.parse(oldestReconciledAt)) / 1000) : 0);
      });
    },
  });
  new Gauge({
    name: 'b24_events_offline_portals_failing',
    help: 'Portals whose last offline reconciliation failed (they back off and try again).',
    registers,
    async collect() {
      await quietly(async () => this.set((await offlineSummary(store.db)).failing));
    },
  });
}
