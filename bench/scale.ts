/**
 * Scale: ingest at 32 connections on a store holding `events` handled events of `portalCount` installed portals,
 * next to the same portals on an empty store. The stored events are written in the database engine itself (a
 * million through Kysely would take minutes), as events handled just now spread over the portals.
 */
import { sql } from 'kysely';
import { openStore } from '../src/store/open.js';
import { portals } from './bodies.js';
import { load, type LoadResult } from './load.js';
import { serve } from './processes.js';
import { database, install, type Engine } from './setup.js';

export interface ScaleFigures {
  engine: Engine;
  portals: number;
  events: number;
  empty: LoadResult;
  full: LoadResult;
  /** Requests/s with the events stored over requests/s on the empty store. */
  ratio: number;
}

async function fill(url: string, engine: Engine, events: number, portalCount: number): Promise<void> {
  const store = openStore(url);
  // Handled just now: within the retention period, so retention has nothing to delete while ingest is measured.
  const at = new Date().toISOString();
  try {
    const series =
      engine === 'postgres'
        ? sql`select i from generate_series(1, ${events}) as i`
        : sql`select i from (with recursive n(i) as (select 1 union all select i + 1 from n where i < ${events}) select i from n)`;
    const member =
      engine === 'postgres'
        ? sql`lpad(cast(i % ${portalCount} as text), 8, '0')`
        : sql`substr('0000000' || (i % ${portalCount}), -8)`;
    await sql`insert into inbox (body_hash, member_id, event, ts, received_at, payload, application_token_hash,
        status, attempts, next_attempt_at, finished_at)
      select 'filled' || i, ${member} || 'a75104de55d5d4a61b98ab6d',
        'ONAPPMETHODCONFIRM', ${at}, ${at}, '{}', 'x', 'done', 1, ${at}, ${at}
      from (${series}) as numbers`.execute(store.db);
  } finally {
    await store.close();
  }
}

async function measure(url: string, list: ReturnType<typeof portals>, seconds: number): Promise<LoadResult> {
  const server = await serve(url);
  try {
    await load(`${server.url}/bitrix24/events`, list, 8, Math.min(2, seconds));
    return await load(`${server.url}/bitrix24/events`, list, 32, seconds, server.pid);
  } finally {
    await server.stop();
  }
}

export async function scale(
  engine: Engine,
  portalCount: number,
  events: number,
  seconds: number,
): Promise<ScaleFigures> {
  const list = portals(portalCount);
  const db = await database(engine, 'scale');
  try {
    await install(db.url, list);
    const empty = await measure(db.url, list, seconds);
    await fill(db.url, engine, events, portalCount);
    const full = await measure(db.url, list, seconds);
    return { engine, portals: portalCount, events, empty, full, ratio: full.rps / Math.max(1, empty.rps) };
  } finally {
    await db.drop();
  }
}
