/**
 * Faults in front of the emulator's HTTP server: REST requests that never get an answer, or answer 5xx, an OAuth
 * server that refuses refreshes, and one whose answers are late (it spends the refresh token and issues the new pair at
 * once, but the answer waits for `release()`). Requests pass through untouched in mode 'pass'.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type FaultMode =
  | 'pass'
  | 'hang'
  | 'bad-gateway'
  | 'server-error'
  | 'refuse-refresh'
  | 'oauth-down'
  | 'hold-oauth-answer';

export interface Faults {
  mode: FaultMode;
  /** Requests the fault answered (or swallowed), by path prefix. */
  hits: { rest: number; oauth: number };
  /** OAuth answers given in mode 'hold-oauth-answer' and not yet sent. */
  held: number;
  /** Sends the held OAuth answers. */
  release(): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function injectFaults(server: Server): Faults {
  const [portal] = server.listeners('request') as Handler[];
  const held: (() => void)[] = [];
  const faults: Faults = {
    mode: 'pass',
    hits: { rest: 0, oauth: 0 },
    get held() {
      return held.length;
    },
    release() {
      for (const send of held.splice(0)) send();
    },
  };
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const rest = req.url?.startsWith('/rest/') ?? false;
    const oauth = req.url?.startsWith('/oauth/token') ?? false;
    const mode = faults.mode;
    if (rest && mode === 'hang') return void faults.hits.rest++; // the socket stays open, nothing is sent
    if (rest && mode === 'bad-gateway') {
      faults.hits.rest++;
      return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
    }
    if (rest && mode === 'server-error') {
      faults.hits.rest++;
      return void res
        .writeHead(500, { 'content-type': 'application/json' })
        .end('{"error":"INTERNAL_SERVER_ERROR","error_description":"Internal server error"}');
    }
    if (oauth && mode === 'oauth-down') {
      faults.hits.oauth++;
      return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
    }
    if (oauth && mode === 'refuse-refresh') {
      faults.hits.oauth++;
      return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
    }
    if (oauth && mode === 'hold-oauth-answer') {
      faults.hits.oauth++;
      const end = res.end.bind(res) as (body?: unknown) => ServerResponse;
      res.end = ((body?: unknown) => {
        held.push(() => end(body));
        return res;
      }) as ServerResponse['end'];
    }
    portal!(req, res);
  });
  return faults;
}
