/** The dashboard's pages (GET): overview with charts, portals, permissions, parked calls, the inbox and one event. */
import type { FastifyInstance } from 'fastify';
import { inboxEntryView } from '../../core/views.js';
import { retentionPolicy } from '../../core/retention.js';
import { redact } from '../../protocol/index.js';
import { getInboxEvent } from '../../store/inbox.js';
import {
  eventsPerMinute,
  inboxBacklog,
  inboxByStatus,
  inboxPage,
  installationsByStatus,
  parkedCallsByState,
} from '../../store/stats.js';
import { eventsChart, refusalsChart } from './chart.js';
import { age, domains, page, problemPage, scrubber, type Context } from './context.js';
import { callFilter, chartRange, idParam, inboxFilter, parse, permissionFilter } from './filters.js';
import { refusalsByReason } from './refusals.js';

const PAGE_SIZE = 50;

export function pageRoutes(scope: FastifyInstance, ctx: Context): void {
  const { app } = ctx;
  const db = async () => (await app.ready(), app.store.db);

  scope.get('/', async (request, reply) => {
    const hours = parse(chartRange, request.query).hours ?? 3;
    const since = new Date(Date.now() - hours * 3600_000).toISOString().slice(0, 16);
    const [counts, backlog, calls, installs, failed] = await Promise.all([
      eventsPerMinute(await db(), since),
      inboxBacklog(await db()),
      parkedCallsByState(await db()),
      installationsByStatus(await db()),
      inboxByStatus(await db()),
    ]);
    return page(ctx, request, reply, 'overview', {
      title: 'Overview',
      current: '/',
      portals: installs.active ?? 0,
      backlog: backlog.waiting,
      failedEvents: failed.failed ?? 0,
      callsWaiting: (calls.waiting ?? 0) + (calls.ready ?? 0),
      failedCalls: calls.failed ?? 0,
      chart: eventsChart(counts, hours),
      refusals: refusalsChart(await refusalsByReason(app)),
    });
  });

  scope.get('/portals', async (request, reply) => {
    const rows = (await app.installations.list()).map((i) => ({
      ...i,
      region: i.oauthServer ? new URL(i.oauthServer).host : '-',
    }));
    return page(ctx, request, reply, 'portals', { title: 'Portals', current: '/portals', rows });
  });

  scope.get('/permissions', async (request, reply) => {
    const filter = parse(permissionFilter, request.query);
    const portals = await domains(app);
    const method = filter.method?.toLowerCase();
    const rows = (await app.permissions(filter.memberId))
      .filter((p) => (!method || p.method === method) && (!filter.state || p.state === filter.state))
      .map((p) => ({ ...p, domain: portals.of(p.memberId) }));
    return page(ctx, request, reply, 'permissions', {
      title: 'Permissions',
      current: '/permissions',
      rows,
      filter,
      portals: portals.list,
    });
  });

  scope.get('/calls', async (request, reply) => {
    const filter = parse(callFilter, request.query);
    const portals = await domains(app);
    const list = await app.calls.list({ memberId: filter.memberId, state: filter.state, limit: filter.limit ?? 100 });
    const scrub = await scrubber(
      app,
      list.map((c) => c.memberId),
    );
    const rows = list.map((c) => ({
      ...c,
      domain: portals.of(c.memberId),
      age: age(c.createdAt),
      outcome:
        c.error !== null ? scrub(c.memberId, c.error) : c.result === null ? '' : JSON.stringify(c.result).slice(0, 300),
    }));
    return page(ctx, request, reply, 'calls', {
      title: 'Parked calls',
      current: '/calls',
      retention: retentionPolicy(app.retention.days),
      rows,
      filter,
      portals: portals.list,
    });
  });

  scope.get('/inbox', async (request, reply) => {
    const filter = parse(inboxFilter, request.query);
    const portals = await domains(app);
    const limit = filter.limit ?? PAGE_SIZE;
    const found = await inboxPage(await db(), {
      event: filter.event,
      memberId: filter.memberId,
      status: filter.status,
      beforeId: filter.before,
      limit,
    });
    const scrub = await scrubber(
      app,
      found.map((r) => r.member_id),
    );
    const rows = found
      .map(inboxEntryView)
      .map((e) => ({ ...e, domain: portals.of(e.memberId), lastError: scrub(e.memberId, e.lastError) }));
    const last = rows.at(-1);
    const next =
      rows.length === limit && last
        ? `${ctx.base}/inbox?${new URLSearchParams({ ...definedOnly({ event: filter.event, memberId: filter.memberId, status: filter.status }), before: String(last.id) })}`
        : undefined;
    return page(ctx, request, reply, 'inbox', {
      title: 'Inbox',
      current: '/inbox',
      retention: retentionPolicy(app.retention.days),
      rows,
      filter,
      portals: portals.list,
      next,
    });
  });

  scope.get('/inbox/:id', async (request, reply) => {
    const id = idParam.safeParse(request.params);
    const row = id.success ? await getInboxEvent(await db(), id.data.id) : undefined;
    if (!row) return problemPage(ctx, request, reply, 404, 'No such event', 'The inbox has no event with this id.');
    const entry = inboxEntryView(row);
    const scrub = await scrubber(app, [entry.memberId]);
    let payload: string;
    try {
      payload = JSON.stringify(redact(JSON.parse(row.payload)), null, 2);
    } catch {
      payload = '(the stored payload is not JSON)';
    }
    const domain = (await domains(app)).of(entry.memberId);
    return page(ctx, request, reply, 'inboxEvent', {
      title: `${entry.event} #${entry.id}`,
      current: '/inbox',
      entry: { ...entry, lastError: scrub(entry.memberId, entry.lastError) },
      payload,
      domain,
    });
  });
}

function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined));
}
