/** The ready server: the receiver at /bitrix24/events and /bitrix24/install, /health and /metrics. */
import http from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { B24App } from '../app/create-app.js';

export interface ServerOptions {
  /** Longest time a client may take to send one request, headers and body. Default 10 s. */
  requestTimeoutMs?: number;
  /** Idle socket time before it is closed. Default 15 s. */
  connectionTimeoutMs?: number;
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
        .createServer({ requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout), keepAliveTimeout: 5_000 }, handler)
        .setTimeout(options.connectionTimeoutMs ?? 15_000),
  });
  await app.ready();
  await server.register(app.fastify, { prefix: '/bitrix24' });
  server.get('/health', async () => ({ status: 'ok' }));
  server.get('/metrics', async (_request, reply) =>
    reply.header('content-type', app.metrics.contentType).send(await app.metrics.metrics()),
  );
  server.addHook('onClose', async () => app.close());
  return server;
}
