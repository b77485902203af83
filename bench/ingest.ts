/**
 * Ingest over HTTP: `b24-events serve` next to (a) bare node:http reading the body and answering 200 and (b) the
 * handler written by hand (Express urlencoded + one insert per request, synced), with the same load: real
 * ONAPPMETHODCONFIRM bodies of 100 installed portals, each request a new event.
 */
import { portals } from './bodies.js';
import { load, type LoadResult } from './load.js';
import { serve, start, type Running } from './processes.js';
import { database, install, type Engine } from './setup.js';

export interface IngestFigures {
  engine: Engine;
  connections: number;
  bare: LoadResult;
  byHand: LoadResult;
  b24: LoadResult;
  /** b24-events requests/s over bare node:http's, and over the hand-written handler's. */
  ratioToBare: number;
  ratioToByHand: number;
}

const PORTALS = portals(100);

async function measure(server: Running, connections: number[], seconds: number): Promise<LoadResult[]> {
  const url = `${server.url}/bitrix24/events`;
  try {
    await load(url, PORTALS, 8, Math.min(2, seconds)); // warm up: JIT, caches, connection pools
    const results: LoadResult[] = [];
    for (const c of connections) results.push(await load(url, PORTALS, c, seconds, server.pid));
    return results;
  } finally {
    await server.stop();
  }
}

export async function ingest(engine: Engine, connections: number[], seconds: number): Promise<IngestFigures[]> {
  const bare = await measure(await start(['bench/baselines/bare.mjs']), connections, seconds);
  const byHandDb = await database(engine, 'by-hand');
  const b24Db = await database(engine, 'b24');
  try {
    const byHand = await measure(await start(['bench/baselines/by-hand.mjs', byHandDb.url]), connections, seconds);
    await install(b24Db.url, PORTALS);
    const b24 = await measure(await serve(b24Db.url), connections, seconds);
    return connections.map((c, i) => ({
      engine,
      connections: c,
      bare: bare[i]!,
      byHand: byHand[i]!,
      b24: b24[i]!,
      ratioToBare: b24[i]!.rps / Math.max(1, bare[i]!.rps),
      ratioToByHand: b24[i]!.rps / Math.max(1, byHand[i]!.rps),
    }));
  } finally {
    await byHandDb.drop();
    await b24Db.drop();
  }
}
