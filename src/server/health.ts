/**
 * Health for orchestrators: GET /healthz (the process answers; /health is its old name), GET /readyz (the store
 * answers, migrations are applied, workers run; 503 with the reason otherwise), and 5xx answers counted in /metrics.
 */
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import type { B24App } from '../app/create-app.js';

const FIVE_XX = 'b24_events_http_5xx_total';

function fiveXxCounter(app: B24App): Counter<'route' | 'status'> {
  const existing = app.metrics.getSingleMetric(FIVE_XX);
  if (existing instanceof Counter) return existing as Counter<'route' | 'status'>;
  return new Counter({
    name: FIVE_XX,
    help: 'Answers with a 5xx status, by route.',
    labelNames: ['route', 'status'] as const,
    registers: [app.metrics],
  });
}

export function healthRoutes(server: FastifyInstance, app: B24App): void {
  const alive = async () => ({ status: 'ok' });
  server.get('/healthz', alive);
  server.get('/health', alive);
  server.get('/readyz', async (_request, reply) => {
    const readiness = await app.readiness();
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: readiness.ready ? 'ready' : 'not_ready', ...readiness });
  });
  const fiveXx = fiveXxCounter(app);
  server.addHook('onResponse', async (request, reply) => {
    // The route's pattern, never its path: a path can carry anything a client typed.
    if (reply.statusCode >= 500)
      fiveXx.inc({ route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
}
