/**
 * Faults in front of the emulator's HTTP server: REST requests that never get an answer, or answer 5xx, and an
 * OAuth server that refuses refreshes. Requests pass through untouched in mode 'pass'.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type FaultMode = 'pass' | 'hang' | 'bad-gateway' | 'server-error' | 'refuse-refresh' | 'oauth-down';

export interface Faults {
  mode: FaultMode;
  /** Requests the fault answered (or swallowed), by path prefix. */
  hits: { rest: number; oauth: number };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function injectFaults(server: Server): Faults {
  const [portal] = server.listeners('request') as Handler[];
  const faults: Faults = { mode: 'pass', hits: { rest: 0, oauth: 0 } };
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
    portal!(req, res);
  });
  return faults;
}
