/** Express: mount the handler before any body parser (it reads the raw body itself). */
import express from 'express';
import { createApp, sqliteStore, type B24App } from '../src/index.js'; // in your app: from 'b24-events'

export function expressServer(app: B24App) {
  const server = express();
  server.post(['/bitrix24/events', '/bitrix24/install'], app.node);
  server.use(express.json()); // your own routes and parsers come after
  return server;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const app = createApp({ store: sqliteStore('./data/b24-events.sqlite') });
  app.on('ONAPPMETHODCONFIRM', (event) => console.log(event.data.method, event.data.confirmed));
  expressServer(app).listen(3000, '127.0.0.1');
}
