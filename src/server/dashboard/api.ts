/**
 * The dashboard's JSON API (GET): the same camelCase objects as the CLI's `--json`. Signed-in browsers and
 * `Authorization: Bearer <DASHBOARD_TOKEN>` may read it.
 */
import type { FastifyInstance } from 'fastify';
import { inboxEntryView } from '../../core/views.js';
import { inboxPage } from '../../store/stats.js';
import type { Context } from './context.js';
import { callFilter, inboxFilter, parse, permissionFilter } from './filters.js';

export function apiRoutes(scope: FastifyInstance, { app }: Context): void {
  scope.get('/api/installations', async () => app.installations.list());

  scope.get('/api/permissions', async (request) => {
    const filter = parse(permissionFilter, request.query);
    const method = filter.method?.toLowerCase();
    return (await app.permissions(filter.memberId)).filter(
      (p) => (!method || p.method === method) && (!filter.state || p.state === filter.state),
    );
  });

  scope.get('/api/calls', async (request) => {
    const filter = parse(callFilter, request.query);
    return app.calls.list({ memberId: filter.memberId, state: filter.state, limit: filter.limit ?? 100 });
  });

  scope.get('/api/inbox', async (request) => {
    const filter = parse(inboxFilter, request.query);
    await app.ready();
    const rows = await inboxPage(app.store.db, {
      event: filter.event,
      memberId: filter.memberId,
      status: filter.status,
      beforeId: filter.before,
      limit: filter.limit ?? 50,
    });
    return rows.map(inboxEntryView);
  });
}
