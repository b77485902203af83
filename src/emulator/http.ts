/**
 * The emulator's HTTP face. The portal's origin serves the REST endpoint (/rest/{method}, also /rest//{method} and
 * {method}.json), the west OAuth server (/oauth/token/), the BX24 library stand-in (/api/v1/), the pages (/ and
 * /install) and the administrator's actions (/admin/...). A second listener is the east region's OAuth server
 * (/oauth/token/ for east portals only, and /rest/). Every request must name the emulator in its Host header and
 * carry at most 1 MiB.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyKindOf, decodeBody } from '../protocol/index.js';
import { handleAdmin } from './admin.js';
import { BX24_SCRIPT } from './bx24-script.js';
import { allowedHosts, checkAdminChange, checkHost, PAGE_HEADERS, readBody, Refusal } from './guard.js';
import { frameRequest } from './install-frame.js';
import { renderFramePage, renderInstallForm } from './install-page.js';
import { newSecret, type Region } from './oauth.js';
import { renderPage } from './page.js';
import type { Emulator } from './portal.js';

export interface RunningEmulator {
  url: string;
  /** The east region's OAuth server. */
  eastUrl: string;
  server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  port?: number;
  /** Port of the east region's OAuth server; 0 (default) picks a free one. */
  eastPort?: number;
  host?: string;
  /** Where the app under development listens; ONAPPINSTALL goes to {appUrl}/bitrix24/install. */
  appUrl?: string;
}

const REST_PATH = /^\/rest\/+([\w.]+?)\/?$/;
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type, authorization',
  'access-control-allow-methods': 'GET, POST',
};

async function paramsOf(
  req: IncomingMessage,
  url: URL,
): Promise<{ params: Record<string, unknown>; kind: 'form' | 'json' | undefined }> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const text = await readBody(req);
  const kind = bodyKindOf(req.headers['content-type']);
  if (text && kind) Object.assign(params, decodeBody(kind, text));
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (bearer && params.auth === undefined) params.auth = bearer[1];
  return { params, kind };
}

type Send = (status: number, body: unknown, headers?: Record<string, string>) => void;

/** Routes shared by both listeners: the OAuth server of the listener's region and the REST endpoint. */
async function serveApi(
  emulator: Emulator,
  region: Region,
  req: IncomingMessage,
  url: URL,
  send: Send,
): Promise<boolean> {
  if (url.pathname === '/oauth/token/' || url.pathname === '/oauth/token') {
    const { params } = await paramsOf(req, url);
    const answer = emulator.authority.answer(
      new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])),
      region,
    );
    send(answer.status, answer.body);
    return true;
  }
  const rest = REST_PATH.exec(url.pathname);
  if (!rest) return false;
  if (req.method === 'OPTIONS') {
    send(204, undefined, CORS);
    return true;
  }
  const answer = emulator.rest(rest[1]!, (await paramsOf(req, url)).params);
  send(answer.status, answer.body, CORS);
  return true;
}

function listener(
  handle: (req: IncomingMessage, res: ServerResponse, host: string, send: Send) => Promise<void>,
  allowed: () => Set<string>,
): Server {
  return createServer((req, res) => {
    const send: Send = (status, body, headers = {}) => {
      if (res.headersSent) return void res.end();
      res
        .writeHead(
          status,
          body === undefined ? headers : { 'content-type': 'application/json; charset=utf-8', ...headers },
        )
        .end(body === undefined ? undefined : JSON.stringify(body));
    };
    void (async () => handle(req, res, checkHost(req.headers, allowed()), send))().catch((error: Error) => {
      if (error instanceof Refusal) {
        send(error.status, { error: error.code, error_description: error.message }, { connection: 'close' });
        return;
      }
      send(400, { error: 'INVALID_REQUEST', error_description: error.message });
    });
  }).on('clientError', (_error, socket) => socket.destroy());
}

export async function serveEmulator(emulator: Emulator, options: ServeOptions = {}): Promise<RunningEmulator> {
  const { port = 0, eastPort = 0, host = '127.0.0.1', appUrl = 'http://127.0.0.1:3000' } = options;
  const csrf = newSecret();
  let mainHosts = new Set<string>();
  let eastHosts = new Set<string>();
  const main = listener(
    async (req, res, hostHeader, send) => {
      const url = new URL(req.url ?? '/', 'http://emulator');
      if (await serveApi(emulator, 'west', req, url, send)) return;
      if (req.method === 'GET' && (url.pathname === '/api/v1/' || url.pathname === '/api/v1')) {
        return void res
          .writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-store' })
          .end(BX24_SCRIPT);
      }
      if (req.method === 'GET' && url.pathname === '/')
        return void res.writeHead(200, PAGE_HEADERS).end(renderPage(emulator, csrf));
      if (req.method === 'GET' && url.pathname === '/install') {
        const memberId = url.searchParams.get('member_id');
        if (!memberId) return void res.writeHead(200, PAGE_HEADERS).end(renderInstallForm(appUrl, csrf));
        const portal = emulator.portals.get(memberId);
        if (!portal || portal.status === 'uninstalled')
          return send(404, { error: 'not_found', message: `no portal with member_id ${memberId} has the app` });
        return void res
          .writeHead(200, PAGE_HEADERS)
          .end(renderFramePage(frameRequest(emulator, portal, hostHeader), memberId));
      }
      if (url.pathname.startsWith('/admin/')) {
        const { params, kind } = await paramsOf(req, url);
        if (req.method !== 'GET') checkAdminChange(req.headers, `http://${hostHeader}`, kind, params.csrf, csrf);
        const answer = await handleAdmin(emulator, req.method ?? 'GET', url.pathname, params, {
          appUrl,
          host: hostHeader,
        });
        const fromPage = kind === 'form' && (req.headers.accept ?? '').includes('text/html');
        if (fromPage && answer.status === 200)
          return void res.writeHead(303, { location: answer.redirect ?? '/' }).end();
        return send(answer.status, answer.body);
      }
      send(404, { error: 'NOT_FOUND', error_description: `No such path ${url.pathname}` });
    },
    () => mainHosts,
  );
  const east = listener(
    async (req, _res, _host, send) => {
      const url = new URL(req.url ?? '/', 'http://emulator');
      if (await serveApi(emulator, 'east', req, url, send)) return;
      send(404, { error: 'NOT_FOUND', error_description: `No such path ${url.pathname} on the east OAuth server` });
    },
    () => eastHosts,
  );
  const bound = await Promise.all([listen(main, port, host), listen(east, eastPort, host)]).catch((error: Error) => {
    main.close();
    east.close();
    throw error;
  });
  mainHosts = allowedHosts(host, bound[0]);
  eastHosts = allowedHosts(host, bound[1]);
  const name = host.includes(':') ? `[${host}]` : host;
  const url = `http://${name}:${bound[0]}`;
  const eastUrl = `http://${name}:${bound[1]}`;
  emulator.baseUrl = url;
  emulator.eastUrl = eastUrl;
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, eastUrl, server: main, close: () => Promise.all([close(main), close(east)]).then(() => undefined) };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
