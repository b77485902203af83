/**
 * `npm run bench -- --profile`: where `b24-events serve` spends its CPU under the ingest load (32 connections, 8 s,
 * after the usual warm-up), on each engine. The server runs with `node --cpu-prof`; its main thread's profile is
 * written to the system's temporary folder (open it in Chrome's DevTools) and summed here by where the time went.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portals } from './bodies.js';
import { load } from './load.js';
import { serve } from './processes.js';
import { database, install, type Engine } from './setup.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a sample's own time goes, by the function or file it was in. */
const CATEGORIES: [string, RegExp][] = [
  ['SQLite (statements, commits)', /^executeQuery .*store\/sqlite-driver/],
  ['socket writes (PostgreSQL round trips, answers)', /^(writev|writeBuffer|writeUtf8String) /],
  ['waiting (idle)', /^\(idle\)/],
  ['garbage collection', /^\(garbage collector\)/],
  ['Kysely (building, compiling statements)', /node_modules\/kysely\//],
  ['pg driver', /node_modules\/(pg|pg-protocol|pg-pool)\//],
  ['decoding like PHP', /node_modules\/qs\/|protocol\/decode|protocol\/limits/],
  ['validation (zod)', /node_modules\/zod\/|protocol\/validate/],
  ['hashing', /node:internal\/crypto/],
  [
    'HTTP (Fastify, node:http, streams)',
    /node_modules\/(fastify|find-my-way|light-my-request|avvio)|node:_http|node:net|streams/,
  ],
  ['logging', /node_modules\/(pino|@pinojs)/],
  ['module loading (start-up)', /node:internal\/modules|node_modules\/tsx\//],
  ['b24-events code', /\/src\//],
  ['Node and V8 internals (event loop, buffers, timers)', /^[^ ]* (node:|$)/],
];

function summarise(profile: CpuProfile): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const spent = new Map<string, number>();
  let total = 0;
  for (const [i, id] of profile.samples.entries()) {
    const frame = byId.get(id)!;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url}`;
    const category = CATEGORIES.find(([, pattern]) => pattern.test(name))?.[0] ?? 'other';
    const us = profile.timeDeltas[i] ?? 0;
    spent.set(category, (spent.get(category) ?? 0) + us);
    total += us;
  }
  return [...spent.entries()].map(([name, us]): [string, number] => [name, us / total]).sort((a, b) => b[1] - a[1]);
}

export async function profile(engine: Engine, say: (line: string) => void): Promise<void> {
  const list = portals(100);
  const db = await database(engine, 'profile');
  const dir = mkdtempSync(join(tmpdir(), `b24-profile-${engine}-`));
  try {
    await install(db.url, list);
    const server = await serve(db.url, [], {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const url = `${server.url}/bitrix24/events`;
    let result: Awaited<ReturnType<typeof load>>;
    try {
      await load(url, list, 8, 2);
      result = await load(url, list, 32, 8, server.pid);
    } finally {
      await server.stop(); // the profile is written as the process exits
    }
    // The largest file is the main thread's (the others: tsx's loader, the WAL checkpoint worker).
    const files = readdirSync(dir).map((name) => join(dir, name));
    const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    say(
      `profile ${engine} 32 conn: ${result.rps} req/s, ${result.cpuUsPerRequest} us of server CPU per request; main thread (${main}):`,
    );
    for (const [name, share] of summarise(JSON.parse(readFileSync(main, 'utf8')) as CpuProfile))
      if (share >= 0.005) say(`  ${(share * 100).toFixed(1).padStart(5)}% ${name}`);
  } finally {
    await db.drop();
  }
}
