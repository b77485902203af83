/** Fastify: register the plugin under a prefix; it serves POST {prefix}/events and {prefix}/install. */
import Fastify from 'fastify';
import { createApp, openStore, type B24App } from '../src/index.js'; // in your app: from 'b24-events'

export async function fastifyServer(app: B24App) {
  const server = Fastify();
  await server.register(app.fastify, { prefix: '/bitrix24' });
  return server;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const app = createApp({ store: openStore(process.env.DATABASE_URL ?? './data/b24-events.sqlite') });
  app.on('ONAPPMETHODCONFIRM', (event) => console.log(event.data.method, event.data.confirmed));
  const server = await fastifyServer(app);
  server.addHook('onClose', () => app.close()); // running handlers finish, the store closes
  console.log(`listening on ${await server.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
