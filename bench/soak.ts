/** Soak: the server's resident memory, sampled every `everySeconds` under steady load (8 connections). */
import autocannon from 'autocannon';
import { confirmBody, portals } from './bodies.js';
import { rssMiB, serve } from './processes.js';
import { database, install, type Engine } from './setup.js';

export interface SoakFigures {
  engine: Engine;
  seconds: number;
  /** [seconds since the start, RSS in MiB]; the first sample is taken after one interval of warm-up. */
  rss: [number, number][];
  /** Largest distance of a later sample from the first, as a fraction of it. */
  maxDrift: number;
  requests: number;
}

export async function soak(engine: Engine, seconds: number, everySeconds: number): Promise<SoakFigures> {
  const list = portals(100);
  const db = await database(engine, 'soak');
  try {
    await install(db.url, list);
    const server = await serve(db.url);
    try {
      const rss: [number, number][] = [];
      const started = performance.now();
      const timer = setInterval(() => {
        rss.push([Math.round((performance.now() - started) / 1000), Math.round(rssMiB(server.pid) * 10) / 10]);
      }, everySeconds * 1000);
      let n = 0;
      const result = await autocannon({
        url: `${server.url}/bitrix24/events`,
        connections: 8,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        requests: [{ setupRequest: (request) => ({ ...request, body: confirmBody(list, n++, 'soak') }) }],
      });
      clearInterval(timer);
      const first = rss[0]?.[1] ?? 0;
      const maxDrift = Math.max(0, ...rss.map(([, mib]) => Math.abs(mib - first) / Math.max(1, first)));
      return { engine, seconds, rss, maxDrift, requests: result['2xx'] };
    } finally {
      await server.stop();
    }
  } finally {
    await db.drop();
  }
}
