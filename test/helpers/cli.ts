/**
 * Runs the `b24-events` CLI as a separate process, as a user would.
 *
 * Starting `node --import tsx src/cli/main.ts` costs well over a second of CPU per command (tsx compiles every
 * source file again in each process), and the CLI tests run dozens of commands. So the first command of a test
 * file bundles src/cli/main.ts with esbuild (the compiler tsx itself uses; dependencies stay external) into
 * node_modules/.cache/b24-events-test/, named by the hash of its text so a changed source is never run stale,
 * and every command runs that file with plain `node`: the same code, compiled the same way, started 3x faster.
 * B24_TEST_CLI=tsx runs the sources through tsx instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/b24-events-test/', import.meta.url));

let entry: Promise<string[]> | undefined;

/** The node arguments that start the CLI: `[bundle]`, or `['--import', 'tsx', main.ts]` with B24_TEST_CLI=tsx. */
export function cliArgs(): Promise<string[]> {
  entry ??= bundle();
  return entry;
}

async function bundle(): Promise<string[]> {
  if (process.env.B24_TEST_CLI === 'tsx') return ['--import', 'tsx', MAIN];
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [MAIN],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.text;
  const file = join(CACHE, `main-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, file); // test files build at once; each writes whole, the last rename wins
  }
  return [file];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function startCli(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  return spawn(process.execPath, [...(await cliArgs()), ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = await startCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface RunningProcess {
  /** What the process printed so far, stdout and stderr. */
  output(): string;
  stop(): Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running command and waits until its output matches `ready`; answers the match too. */
export async function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<RunningProcess & { match: RegExpExecArray }> {
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
    child.on('exit', () => reject(new Error(`${args[0]} exited:\n${output}`)));
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
