/**
 * `npm run bench`: every figure of issue 12 next to its baselines, measured in this run on this machine.
 *   npm run bench              ingest (1, 32, 256 connections; SQLite and PostgreSQL), scale, resume, soak (< 10 min)
 *   npm run bench -- --quick   the same figures, smaller and shorter (under a minute; CI runs it)
 *   npm run bench -- --profile where the server's CPU goes under the 32-connection ingest load, on each engine
 * Writes bench/results/latest.json and latest.svg (quick.json and quick.svg with --quick) and prints every figure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chart } from './chart.js';
import { ingest } from './ingest.js';
import { profile } from './profile.js';
import { ingestLines, otherLines, targets, type Results } from './report.js';
import { resume } from './resume.js';
import { scale } from './scale.js';
import { engines } from './setup.js';
import { soak } from './soak.js';

const quick = process.argv.includes('--quick');
const say = (line: string) => process.stdout.write(`${line}\n`);
const started = performance.now();
const plan = quick
  ? {
      connections: [32],
      seconds: 2,
      scale: [1_000, 20_000],
      resume: [
        [1, 100],
        [5, 20],
      ],
      soak: [10, 2],
    }
  : {
      connections: [1, 32, 256],
      seconds: 6,
      scale: [10_000, 1_000_000],
      resume: [
        [1, 1000],
        [50, 100],
      ],
      soak: [300, 10],
    };

say(
  `# b24-events bench${quick ? ' --quick' : ''}: ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const available = await engines();
if (process.argv.includes('--profile')) {
  for (const engine of available) await profile(engine, say);
  process.exit(0);
}
const results: Results = {
  date: new Date().toISOString(),
  quick,
  machine: { cpus: cpus().length, loadAverage: loadavg(), node: process.version },
  ingest: [],
  scale: [],
  resume: [],
  soak: [],
  targets: [],
  notes: [],
  seconds: 0,
};
for (const engine of quick ? (['sqlite'] as const) : available) {
  const rows = await ingest(engine, plan.connections, plan.seconds);
  results.ingest.push(...rows);
  for (const line of ingestLines(rows)) say(line);
}
for (const engine of available) {
  const [portalCount, events] = plan.scale as [number, number];
  results.scale.push(await scale(engine, portalCount, events, plan.seconds));
  say(otherLines({ scale: results.scale.slice(-1), resume: [], soak: [] })[0]!);
}
for (const [portals, calls] of plan.resume as [number, number][]) {
  results.resume.push(await resume(portals, calls));
  say(otherLines({ scale: [], resume: results.resume.slice(-1), soak: [] })[0]!);
}
results.soak.push(await soak('sqlite', plan.soak[0]!, plan.soak[1]!));
say(otherLines({ scale: [], resume: [], soak: results.soak })[0]!);

results.targets = targets(results);
results.seconds = Math.round((performance.now() - started) / 1000);
results.notes = [
  ...otherLines(results),
  `${results.date}, ${results.machine.cpus} CPUs, load average at start ${results.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}, ${results.seconds} s`,
];
say('# targets');
for (const t of results.targets) say(`${t.met ? 'met    ' : 'not met'} ${t.name}: ${t.value} (target ${t.target})`);
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const name = quick ? 'quick' : 'latest';
writeFileSync(`${dir}${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${dir}${name}.svg`, chart(results));
say(`# ${results.seconds} s; figures in bench/results/${name}.json, chart in bench/results/${name}.svg`);
