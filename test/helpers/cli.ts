/** Runs the `b24-events` CLI as a separate process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = startCli(args, env);
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
  const child = startCli(args, env);
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
