/**
 * The ready server: the receiver at /bitrix24/events and /bitrix24/install, the dashboard at / (with DASHBOARD_TOKEN),
 * /healthz, /readyz and /metrics (or /metrics on METRICS_PORT alone).
 */
import http from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { B24App } from '../app/create-app.js';
import { dashboard } from './dashboard/plugin.js';
import { healthRoutes } from './health.js';
import { serveMetrics, type MetricsListener } from './metrics-port.js';

export interface ServerOptions {
  /** Longest time a client may take to send one request, headers and body. Default 10 s. */
  requestTimeoutMs?: number;
  /** Idle socket time before it is closed. Default 15 s. */
  connectionTimeoutMs?: number;
  /** The dashboard's sign-in token; without one the dashboard is off. Default: DASHBOARD_TOKEN. */
  dashboardToken?: string | undefined;
  /** Serve /metrics on this port (and not on the main one). Default: METRICS_PORT, else the main port. */
  metricsPort?: number | undefined;
  /** Address of the metrics port. Default: METRICS_HOST, else 127.0.0.1. */
  metricsHost?: string | undefined;
}

export async function createServer(app: B24App, options: ServerOptions = {}): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const server = Fastify({
    loggerInstance: app.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Node checks request timeouts every 30 s by default: a client trickling a byte at a time would hold a socket
    // that long. Check often enough that the timeout means what it says.
    serverFactory: (handler) =>
      http
        .createServer(
          {
            requestTimeout,
            headersTimeout: requestTimeout,
            connectionsCheckingInterval: Math.min(1000, requestTimeout),
            keepAliveTimeout: 5_000,
          },
          handler,
        )
        .setTimeout(options.connectionTimeoutMs ?? 15_000),
  });
  await app.ready();
  await server.register(app.fastify, { prefix: '/bitrix24' });
  healthRoutes(server, app);
  const metricsPort = options.metricsPort ?? (process.env.METRICS_PORT ? Number(process.env.METRICS_PORT) : undefined);
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65535)) {
    throw new Error('METRICS_PORT (or the metricsPort option) must be a port number, 0 to 65535.');
  }
  if (metricsPort === undefined) {
    server.get('/metrics', async (_request, reply) =>
      reply.header('content-type', app.metrics.contentType).send(await app.metrics.metrics()),
    );
  } else {
    let listener: MetricsListener | undefined;
    server.addHook('onListen', async () => {
      listener = await serveMetrics(app, metricsPort, options.metricsHost ?? process.env.METRICS_HOST ?? '127.0.0.1');
    });
    server.addHook('onClose', async () => listener?.close());
  }
  await server.register(dashboard(app, { token: options.dashboardToken ?? process.env.DASHBOARD_TOKEN }));
  server.addHook('onClose', async () => app.close());
  return server;
}
