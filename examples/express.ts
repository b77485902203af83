/** Express: mount the handler before any body parser (it reads the raw body itself). */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApp, openStore, type B24App } from '../src/index.js'; // in your app: from 'b24-events'

export function expressServer(app: B24App) {
  const server = express();
  server.post(['/bitrix24/events', '/bitrix24/install'], app.node);
  server.use(express.json()); // your own routes and parsers come after
  return server;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const app = createApp({ store: openStore(process.env.DATABASE_URL ?? './data/b24-events.sqlite') });
  app.on('ONAPPMETHODCONFIRM', (event) => console.log(event.data.method, event.data.confirmed));
  const server = expressServer(app).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  // Stop taking requests, then let running handlers finish and close the store.
  const stop = () => server.close(() => void app.close().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
