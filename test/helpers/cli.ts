/**
 * Runs the `b24-events` CLI, as a user would.
 *
 * Starting `node --import tsx src/cli/main.ts` costs well over a second of CPU per command (tsx compiles every
 * source file again in each process), and the CLI tests run over a hundred commands. So src/cli/main.ts (the
 * executable) and src/cli/program.ts (its runCommand) are bundled with esbuild (the compiler tsx itself uses;
 * dependencies stay external) into a folder under node_modules/.cache/b24-events-test/, named by the hash of their
 * text so a changed source never runs stale (test/run.mjs builds it once and names its main.mjs in B24_TEST_CLI; a
 * test file run alone builds it on first use), and:
 *
 * - runCli (a short command) hands it to a host process that runs one command after another through runCommand,
 *   each with its own argv, environment, output and exit code (see cli-host.mjs);
 * - startProcess/startServer (serve, emulator: long-running, stopped by signals) start a real `node` process on it.
 *
 * B24_TEST_CLI_HOST=0 runs every command as its own process; B24_TEST_CLI=tsx runs the sources through tsx, each
 * command its own process, as before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import * as bodies from '../fixtures/bodies.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const HOST = fileURLToPath(new URL('./cli-host.mjs', import.meta.url));
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/b24-events-test/', import.meta.url));
const TSX = process.env.B24_TEST_CLI === 'tsx';

let entry: Promise<string> | undefined;

/** The node arguments that start the CLI: `[bundle]`, or `['--import', 'tsx', main.ts]` with B24_TEST_CLI=tsx. */
export async function cliArgs(): Promise<string[]> {
  return TSX ? ['--import', 'tsx', MAIN] : [await cliBundle()];
}

/** The CLI bundle's executable (main.mjs; program.mjs beside it), built on first use unless B24_TEST_CLI names one. */
function cliBundle(): Promise<string> {
  entry ??= process.env.B24_TEST_CLI ? Promise.resolve(process.env.B24_TEST_CLI) : bundle();
  return entry;
}

/**
 * esbuild's options for the CLI's bundles, main.mjs and program.mjs (test/run.mjs builds them with these too). They
 * hold the CLI's dependencies but those with native code or worker threads: a server process then starts on about
 * 0.5 s of CPU instead of 0.8 (one file to compile instead of hundreds to find, read and compile).
 */
export const CLI_BUILD: BuildOptions = {
  entryPoints: { main: MAIN, program: fileURLToPath(new URL('../../src/cli/program.ts', import.meta.url)) },
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  external: ['better-sqlite3', 'pg', 'pino', 'pino-pretty', 'tsx', 'esbuild'],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.filename);",
  },
  platform: 'node',
  format: 'esm',
  target: 'node20',
};

/** Bundles the CLI into a folder named by the hash of its files. */
async function bundle(): Promise<string> {
  const { build } = await import('esbuild');
  const { outputFiles = [] } = await build({
    ...CLI_BUILD,
    outdir: join(CACHE, 'cli'),
    write: false,
    logLevel: 'silent',
  });
  const hash = createHash('sha256');
  for (const file of outputFiles) hash.update(file.path).update(file.text);
  const dir = join(CACHE, `cli-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(dir)) {
    const temporary = `${dir}.${process.pid}.tmp`;
    mkdirSync(temporary, { recursive: true });
    for (const file of outputFiles) writeFileSync(join(temporary, basename(file.path)), file.text);
    try {
      renameSync(temporary, dir); // test files build at once; the first rename wins, the others find it there
    } catch {
      rmSync(temporary, { recursive: true, force: true });
    }
  }
  return join(dir, 'main.mjs');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const commandEnv = (env: Record<string, string>) => ({ ...process.env, LOG_LEVEL: 'info', ...env });

export async function startCli(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  return spawn(process.execPath, [...(await cliArgs()), ...args], {
    env: commandEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a short command to its end: its exit code and output. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  if (TSX || process.env.B24_TEST_CLI_HOST === '0') return runProcess(args, env);
  return host().run(join(dirname(await cliBundle()), 'program.mjs'), args, commandEnv(env));
}

/** `b24-events installations add` of the sample portal (test/fixtures/bodies.ts), as a user registers one; `args` adds `--db`. */
export async function addSamplePortal(args: string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
  const added = await runCli(
    [
      'installations',
      'add',
      ...args,
      '--member-id',
      bodies.MEMBER_ID,
      '--domain',
      bodies.DOMAIN,
      '--application-token',
      bodies.APPLICATION_TOKEN,
    ],
    env,
  );
  if (added.code !== 0) throw new Error(`installations add failed (${added.code}): ${added.stderr}`);
  return added;
}

async function runProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = await startCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

interface Host {
  run(program: string, args: string[], env: Record<string, string | undefined>): Promise<CliResult>;
}

let running: Host | undefined;

/** The host process of this test file, started on first use; it ends when this process does. */
function host(): Host {
  if (running) return running;
  const child = spawn(process.execPath, [HOST], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const waiting = new Map<number, { resolve: (result: CliResult) => void; reject: (error: Error) => void }>();
  let stray = '';
  let next = 0;
  child.stdout!.on('data', (chunk) => (stray += String(chunk)));
  child.stderr!.on('data', (chunk) => (stray += String(chunk)));
  const idle = () => {
    if (waiting.size > 0) return;
    child.unref();
    child.channel?.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
  };
  child.on('message', (message: CliResult & { id: number }) => {
    const { id, ...result } = message;
    waiting.get(id)?.resolve(result);
    waiting.delete(id);
    idle();
  });
  child.on('exit', (code, signal) => {
    running = undefined;
    for (const { reject } of waiting.values()) reject(new Error(`the CLI host ended (${signal ?? code}):\n${stray}`));
    waiting.clear();
  });
  idle();
  running = {
    run(program, args, env) {
      return new Promise<CliResult>((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        child.ref();
        child.channel?.ref();
        child.send({ id, program, args, env });
      });
    },
  };
  return running;
}

export interface RunningProcess {
  /** What the process printed so far, stdout and stderr. */
  output(): string;
  stop(): Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running command and waits until its output matches `ready`; answers the match too. */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<RunningProcess & { match: RegExpExecArray }> {
  const child = await startCli(args, env);
  let output = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += String(chunk);
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited:\n${output}`));
    });
  });
  const kill = (signal: NodeJS.Signals) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.on('exit', (code) => resolve(code));
      child.kill(signal);
    });
  return { match, output: () => output, stop: () => kill('SIGTERM'), kill };
}

/** Starts `b24-events serve` on a free port and waits until it listens; answers its base URL. */
export async function startServer(args: string[], env: Record<string, string> = {}) {
  const running = await startProcess(['serve', '--port', '0', ...args], env, /"address":"(http:\/\/[^"]+)"/);
  return { ...running, url: running.match[1]! };
}
