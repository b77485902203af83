#!/usr/bin/env node
/**
 * `npm test` after the typecheck: compiles the test files once, then runs them with node:test.
 *
 *   node test/run.mjs [--test-flag=value ...] [test files or folders ...]
 *
 * `node --import tsx --test` makes every test file's process load tsx and send each module through its loader
 * hooks: about 0.7 s of CPU per file before its first test, and the CLI's commands the same again per command.
 * Instead, esbuild (the compiler tsx itself uses) bundles each test file, with the sources it imports, into
 * node_modules/.cache/b24-events-test/run-<pid>/ in one go (under a second); dependencies stay external, and
 * `import.meta.url` keeps naming the original .ts file, so paths computed from it are unchanged. The test files
 * then run on plain node with source maps, so a failure points at the .ts line. The CLI (src/cli/main.ts) is
 * bundled alongside, and test/helpers/cli.ts runs it from there (B24_TEST_CLI); so is the package's root, for tests
 * that import it in a child process (B24_TEST_COMPILED names the folder).
 *
 * A single file still runs the old way too: `node --import tsx --test test/cli/cli.test.ts`.
 *
 * Files share processes: TEST_CONCURRENCY lanes take them in turn, the longest first (durations from earlier runs,
 * kept by test/helpers/durations-reporter.mjs in the cache folder; on a fresh clone, test/durations.json's), so that
 * no long end-to-end file starts last and runs alone at the end. With --typecheck (as
 * `npm test` runs it), tsc checks every file meanwhile, at a lower priority: it uses the time the tests spend waiting
 * on sockets, processes and timers, and its errors fail the run.
 *
 * TEST_CONCURRENCY: lanes, each a process (default 3: the machine has 2 cores, but many files wait on sockets, child
 * processes and PostgreSQL; a fourth lane kept the cores as busy and cost more CPU in all, as the processes crowd each
 * other). Other arguments starting with "--" go to node --test (write them as --flag=value).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules/.cache/b24-events-test');
const OUT = join(CACHE, `run-${process.pid}`);

const DURATIONS = join(CACHE, 'durations.json');

const args = process.argv.slice(2);
const typecheck = args.includes('--typecheck');
const flags = args.filter((arg) => arg.startsWith('--') && arg !== '--typecheck');
const targets = args.filter((arg) => !arg.startsWith('--'));
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 3);
// Without lanes, node --test would look for test files by its own rules and pass on whatever it found.
if (!Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write(
    `TEST_CONCURRENCY must be a whole number of lanes, 1 or more (not "${process.env.TEST_CONCURRENCY}")\n`,
  );
  process.exit(2);
}

/** Every *.test.ts under the given files and folders (default: test/), sorted. */
function testFiles(paths) {
  const found = [];
  const walk = (path) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else if (path.endsWith('.test.ts')) found.push(path);
  };
  for (const path of paths.length > 0 ? paths : ['test']) walk(resolve(path));
  return found.sort();
}

const readJson = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {});
/** Files' durations: this checkout's earlier runs, else those of test/durations.json (a run on the CI machine). */
const known = { ...readJson(join(ROOT, 'test/durations.json')), ...readJson(DURATIONS) };
/** A file's duration in an earlier run; files not seen yet: browser and end-to-end ones count as long. */
const seconds = (file) => known[relative(ROOT, file)] ?? (/[/\\](browser|e2e)[/\\]/.test(file) ? 20 : 1);

/**
 * The processes that run the test files: as many lanes as may run at once, that share the files between them. A
 * process costs half a second to a second of CPU before its first test (node, then the sources and their
 * dependencies), as much as most files' tests, so a lane runs many files, one after another, each inside a suite
 * named by its path (hooks stay per file; the durations reporter reads the files' times from those suites). Every
 * lane goes down the same list, longest file first, and runs the next file no lane has claimed yet (a claim is a
 * folder made: one lane succeeds). So the long files start at once and the lanes end within a short file of each
 * other, however the machine's load stretches each file. A lane awaits each suite before it claims the next:
 * node:test's `describe` at the top level answers once the suite has run, its hooks included (were it to answer at
 * once, a lane would claim ahead of itself: slower, still right).
 */
function lanes(files, count) {
  const claims = join(OUT, 'claims');
  mkdirSync(claims);
  const order = [...files]
    .sort((a, b) => seconds(b) - seconds(a))
    .map((file) => [relative(ROOT, file), pathToFileURL(compiled(file)).href]);
  const entry = `import { mkdirSync } from 'node:fs';
import { describe } from 'node:test';
for (const [index, [name, url]] of ${JSON.stringify(order)}.entries()) {
  try {
    mkdirSync(${JSON.stringify(claims)} + '/' + index);
  } catch {
    continue; // another lane has it
  }
  await describe(name, async () => {
    await import(url);
  });
}
`;
  return Array.from({ length: Math.min(count, files.length) }, (_, index) => {
    const path = join(OUT, `lane-${index + 1}.mjs`);
    writeFileSync(path, entry);
    return path;
  });
}

/** `tsc --noEmit` over the project (incremental, its state in the cache folder), at a lower priority than the tests. */
function startTypecheck() {
  const tsc = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--incremental',
      '--tsBuildInfoFile',
      join(CACHE, 'typecheck.tsbuildinfo'),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  setPriority(tsc.pid, 10);
  let output = '';
  tsc.stdout.on('data', (chunk) => (output += chunk));
  tsc.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((done) => tsc.on('close', (code) => done({ code, output })));
}

/** Output folders of earlier runs whose process is gone (killed before it could clean up). */
function removeAbandoned() {
  if (!existsSync(CACHE)) return;
  for (const name of readdirSync(CACHE)) {
    const pid = /^run-(\d+)$/.exec(name)?.[1];
    if (!pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch {
      rmSync(join(CACHE, name), { recursive: true, force: true });
    }
  }
}

/** `import.meta.url` in a compiled file names its .ts source, as it does under tsx. */
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(context) {
    context.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href)), loader: 'ts' };
    });
  },
};

/** A Chromium server when some of the files are browser tests and Debian's chromium is installed. */
async function sharedChromium(files) {
  if (!files.some((file) => file.startsWith(join(ROOT, 'test', 'browser')))) return undefined;
  const { CHROMIUM, chromiumOptions } = await import(pathToFileURL(join(OUT, 'test/helpers/chromium.mjs')).href);
  if (!existsSync(CHROMIUM)) return undefined;
  const { chromium } = await import('playwright-core');
  return chromium.launchServer(chromiumOptions);
}

const files = testFiles(targets);
if (files.length === 0) {
  process.stderr.write(`no *.test.ts files in ${targets.join(' ') || 'test'}\n`);
  process.exit(1);
}
removeAbandoned();
const typechecked = typecheck ? startTypecheck() : undefined;
await build({
  // Beside the test files: what test/run.mjs itself loads, and the package's root for tests that import it in a child
  // process (B24_TEST_COMPILED).
  entryPoints: [
    ...files,
    ...['test/helpers/chromium.ts', 'test/helpers/cli.ts', 'src/index.ts', 'test/fixtures/bodies.ts'].map((path) =>
      join(ROOT, path),
    ),
  ],
  outbase: ROOT,
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [keepImportMetaUrl],
});
const compiled = (file) => join(OUT, relative(ROOT, file)).replace(/\.ts$/, '.mjs');
// The CLI on its own, with the options of test/helpers/cli.ts: main.mjs, the executable that startServer starts, and
// program.mjs, whose runCommand the CLI host (test/helpers/cli-host.mjs) runs commands with.
const cli = join(OUT, 'cli');
const { CLI_BUILD } = await import(pathToFileURL(join(OUT, 'test/helpers/cli.mjs')).href);
await build({ ...CLI_BUILD, outdir: cli, logLevel: 'warning' });

// One Chromium for every browser test file (test/helpers/browser.ts connects to it).
const chromium = await sharedChromium(files);

// node:test's own reporter (spec on a terminal, tap otherwise) and, beside it, the durations; a run given reporters
// of its own keeps them and records no durations.
const reporters = flags.some((flag) => flag.startsWith('--test-reporter'))
  ? []
  : [
      `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(ROOT, 'test/helpers/durations-reporter.mjs')}`,
      '--test-reporter-destination=/dev/null',
    ];
const child = spawn(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    `--test-concurrency=${concurrency}`,
    ...reporters,
    ...flags,
    ...lanes(files, concurrency),
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      B24_TEST_CLI: join(cli, 'main.mjs'),
      B24_TEST_COMPILED: OUT,
      B24_TEST_DURATIONS: DURATIONS,
      ...(chromium && { B24_TEST_CHROMIUM: chromium.wsEndpoint() }),
    },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const code = await new Promise((done) => child.on('close', (status, signal) => done(status ?? (signal ? 1 : 0))));
await chromium?.close();
rmSync(OUT, { recursive: true, force: true });
const types = await typechecked;
if (types && types.code !== 0) process.stderr.write(`\ntsc --noEmit found type errors:\n${types.output}`);
process.exit(code || (types?.code ?? 0));
