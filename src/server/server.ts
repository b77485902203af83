/** The ready server: the receiver at /bitrix24/events and /bitrix24/install, /health and /metrics. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { B24App } from '../app/create-app.js';

export interface ServerOptions {
  /** Longest time a client may take to send one request, headers and body. Default 10 s. */
  requestTimeoutMs?: number;
  /** Idle socket time before it is closed. Default 15 s. */
  connectionTimeoutMs?: number;
}

export async function createServer(app: B24App, options: ServerOptions = {}): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: app.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    connectionTimeout: options.connectionTimeoutMs ?? 15_000,
    keepAliveTimeout: 5_000,
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
