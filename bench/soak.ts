/**
 * Soak: the server's resident memory, sampled every `everySeconds` under steady load (8 connections). Its drift is
 * measured after a warm-up of the first fifth of the run (a minute of five): until its first major collections the
 * V8 heap grows towards its working size (about 235 MiB at 40 s, then 175 MiB from 50 s on, in one run here), and
 * that growth is not a leak.
 */
import autocannon from 'autocannon';
import { confirmBody, portals } from './bodies.js';
import { rssMiB, serve } from './processes.js';
import { database, install, type Engine } from './setup.js';

export interface SoakFigures {
  engine: Engine;
  seconds: number;
  /** [seconds since the start, RSS in MiB]; the first sample is taken after one interval of warm-up. */
  rss: [number, number][];
  /** Seconds of warm-up: the first sample at or after it is the reference. */
  warmUpSeconds: number;
  /** Largest distance of a sample after the warm-up from the reference, as a fraction of it. */
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
      const warmUpSeconds = Math.max(everySeconds, seconds / 5);
      const steady = rss.filter(([at]) => at >= warmUpSeconds);
      const reference = steady[0]?.[1] ?? 0;
      const maxDrift = Math.max(0, ...steady.map(([, mib]) => Math.abs(mib - reference) / Math.max(1, reference)));
      return { engine, seconds, rss, warmUpSeconds, maxDrift, requests: result['2xx'] };
    } finally {
      await server.stop();
    }
  } finally {
    await db.drop();
  }
}
