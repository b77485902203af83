/** The emulator's HTTP face. So far: the OAuth server at /oauth/token/. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OAuthAuthority } from './oauth.js';

export interface RunningEmulator {
  url: string;
  server: Server;
  /** Requests seen, by path, for tests that count calls. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function serveEmulator(authority: OAuthAuthority, port = 0, host = '127.0.0.1'): Promise<RunningEmulator> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const send = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/oauth/token/' || url.pathname === '/oauth/token') {
      const answer = authority.answer(url.searchParams);
      return send(answer.status, answer.body);
    }
    send(404, { error: 'NOT_FOUND', error_description: `No such path ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    server,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
