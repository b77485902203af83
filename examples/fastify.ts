/** Fastify: register the plugin under a prefix; it serves POST {prefix}/events and {prefix}/install. */
import Fastify from 'fastify';
import { createApp, sqliteStore, type B24App } from '../src/index.js'; // in your app: from 'b24-events'

export async function fastifyServer(app: B24App) {
  const server = Fastify();
  await server.register(app.fastify, { prefix: '/bitrix24' });
  return server;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const app = createApp({ store: sqliteStore('./data/b24-events.sqlite') });
  app.on('ONAPPMETHODCONFIRM', (event) => console.log(event.data.method, event.data.confirmed));
  await (await fastifyServer(app)).listen({ port: 3000, host: '127.0.0.1' });
}
