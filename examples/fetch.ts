/**
 * Web-standard runtimes (Deno, Bun, Hono, or any server that speaks Request and Response): in your app,
 *
 *   import { createApp, sqliteStore } from 'b24-events';
 *   export default { fetch: fetchHandler(createApp({ store: sqliteStore('./data/b24-events.sqlite') })) };
 */
import type { B24App } from '../src/index.js'; // in your app: from 'b24-events'

export function fetchHandler(app: B24App) {
  return (request: Request): Promise<Response> | Response => {
    const { pathname } = new URL(request.url);
    if (pathname === '/bitrix24/events' || pathname === '/bitrix24/install') return app.fetch(request);
    return new Response('Not found', { status: 404 });
  };
}
