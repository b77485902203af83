/**
 * The emulator's HTTP face: the OAuth server at /oauth/token/, the REST endpoint at /rest/{method}, the
 * administrator's actions at /admin/..., and the notifications page at /.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyKindOf, decodeBody } from '../protocol/index.js';
import { handleAdmin } from './admin.js';
import { renderPage } from './page.js';
import type { Emulator } from './portal.js';

export interface RunningEmulator {
  url: string;
  server: Server;
  close(): Promise<void>;
}

async function paramsOf(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const kind = bodyKindOf(req.headers['content-type']);
  if (text && kind) Object.assign(params, decodeBody(kind, text));
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (bearer && params.auth === undefined) params.auth = bearer[1];
  return params;
}

export interface ServeOptions {
  port?: number;
  host?: string;
  /** Where the app under development listens; ONAPPINSTALL goes to {appUrl}/bitrix24/install. */
  appUrl?: string;
}

export async function serveEmulator(emulator: Emulator, options: ServeOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = '127.0.0.1', appUrl = 'http://127.0.0.1:3000' } = options;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    void (async () => {
      if (url.pathname === '/' && req.method === 'GET') {
        return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(renderPage(emulator));
      }
      if (url.pathname.startsWith('/admin/')) {
        const answer = await handleAdmin(emulator, req.method ?? 'GET', url.pathname, await paramsOf(req, url), appUrl);
        const fromPage = bodyKindOf(req.headers['content-type']) === 'form' && (req.headers.accept ?? '').includes('text/html');
        if (fromPage && answer.status === 200) return res.writeHead(303, { location: '/' }).end();
        return send(answer.status, answer.body);
      }
      if (url.pathname === '/oauth/token/' || url.pathname === '/oauth/token') {
        const answer = emulator.authority.answer(new URLSearchParams(Object.entries(await paramsOf(req, url)).map(([k, v]): [string, string] => [k, String(v)])));
        return send(answer.status, answer.body);
      }
      const rest = /^\/rest\/([\w.]+)$/.exec(url.pathname);
      if (rest) {
        const answer = emulator.rest(rest[1]!, await paramsOf(req, url));
        return send(answer.status, answer.body);
      }
      send(404, { error: 'NOT_FOUND', error_description: `No such path ${url.pathname}` });
    })().catch((error: Error) => send(400, { error: 'INVALID_REQUEST', error_description: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://${host}:${bound}`;
  emulator.baseUrl = url;
  return {
    url,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
