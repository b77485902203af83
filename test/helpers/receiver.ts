/**
 * A stand-in app for emulator tests: records every request the portal sends (path, raw body, decoded form) and
 * answers 200, or what `answer` says for a path (an install page, say).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeForm, type Payload } from '../../src/protocol/index.js';

export interface Received {
  method: string;
  path: string;
  body: string;
  form: Payload;
  headers: IncomingMessage['headers'];
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests to `path` (query string ignored). */
  at(path: string): Received[];
  answer(path: string, reply: { status?: number; type?: string; body: string }): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const replies = new Map<string, { status?: number; type?: string; body: string }>();
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const path = (req.url ?? '/').split('?')[0]!;
    const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? (JSON.parse(JSON.stringify(decodeForm(body))) as Payload)
      : {};
    received.push({ method: req.method ?? 'GET', path: req.url ?? '/', body, form, headers: req.headers });
    const reply = replies.get(path);
    res.writeHead(reply?.status ?? 200, { 'content-type': reply?.type ?? 'application/json' }).end(reply?.body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    at: (path) => received.filter((r) => r.path.split('?')[0] === path),
    answer: (path, reply) => void replies.set(path, reply),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An install page as an app with a UI serves it: loads the BX24 library and finishes the installation. */
export const installPage = (bx24Url: string) => `<!doctype html><html><head><meta charset="utf-8">
<script src="${bx24Url}"></script></head><body><p id="app">installing</p>
<script>BX24.init(function () { document.getElementById('app').textContent = 'member ' + BX24.getAuth().member_id; BX24.installFinish(); });</script>
</body></html>`;
