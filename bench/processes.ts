/** The servers under test, each a process of its own, so that the load generator never shares their event loop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Running {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** CPU time the process has used so far, in milliseconds (Linux /proc; 0 elsewhere). */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** Resident memory of the process in MiB (Linux /proc; 0 elsewhere). */
export function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Starts `node args...` in the repository and waits for the line naming its address. */
export function start(
  args: string[],
  env: Record<string, string> = {},
  ready = /(http:\/\/127\.0\.0\.1:\d+)/,
): Promise<Running> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += String(chunk);
      const found = ready.exec(output);
      if (!found) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stderr!.removeAllListeners('data');
      child.stdout!.resume();
      child.stderr!.on('data', (c: Buffer) => process.stderr.write(c));
      resolve({
        url: found[1]!,
        pid: child.pid!,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}):\n${output}`)));
  });
}

/**
 * `b24-events serve` from the sources on a free port (tsx compiles at start only; the hot path runs as built);
 * `node` takes node's own options (`--cpu-prof`).
 */
export const serve = (db: string, extra: string[] = [], env: Record<string, string> = {}, node: string[] = []) =>
  start(
    [...node, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--db', db, ...extra],
    env,
    /"address":"(http:\/\/[^"]+)"/,
  );
