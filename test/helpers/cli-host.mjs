/**
 * A process that runs short `b24-events` commands one after another, for test/helpers/cli.ts (runCli).
 *
 * A fresh `node` per command spends about half a second of CPU loading commander, fastify, kysely, pg and pino
 * before the command starts; the CLI tests run over a hundred commands. This host imports the CLI's program (the
 * bundle of src/cli/program.ts) once and runs each command with its runCommand, with the process's argv,
 * environment, exit code and output set for that command:
 *
 * - process.argv and process.env are the command's; process.exitCode starts unset;
 * - everything written to stdout and stderr (process.stdout/stderr and pino's direct writes to fd 1 and 2) is
 *   captured; after process.exit() nothing more is, as nothing more would be printed;
 * - the command is over when runCommand has answered its exit code (or process.exit was called), and then
 *   everything it opened must close within a few seconds (sockets, timers, files): a command that would keep a
 *   real process from exiting fails here too, with "would not exit" on stderr and code 124.
 *
 * Long-running commands (serve, emulator) and tests about the process itself (signals, broken pipes) still start
 * a real process: see startProcess in cli.ts.
 *
 * Protocol (IPC): { id, program, args, env } in; { id, code, stdout, stderr } out.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const baseEnv = { ...process.env };
const exitHost = process.exit.bind(process);
const realWrite = { stdout: process.stdout.write, stderr: process.stderr.write };
const realFs = { write: fs.write, writeSync: fs.writeSync };

/** The command being run: where its output goes, and whether it has exited. */
let current;

class Exit {
  constructor(code) {
    this.code = code;
  }
}

function capture(stream, text) {
  if (current && !current.exited) current[stream] += typeof text === 'string' ? text : Buffer.from(text).toString();
}
process.stdout.write = (chunk, encoding, done) => {
  capture('stdout', chunk);
  if (typeof encoding === 'function') encoding();
  else if (typeof done === 'function') done();
  return true;
};
process.stderr.write = (chunk, encoding, done) => {
  capture('stderr', chunk);
  if (typeof encoding === 'function') encoding();
  else if (typeof done === 'function') done();
  return true;
};
fs.writeSync = (fd, buffer, ...rest) => {
  if (fd !== 1 && fd !== 2) return realFs.writeSync.call(fs, fd, buffer, ...rest);
  capture(fd === 1 ? 'stdout' : 'stderr', buffer);
  return typeof buffer === 'string' ? Buffer.byteLength(buffer) : buffer.byteLength;
};
fs.write = (fd, buffer, ...rest) => {
  if (fd !== 1 && fd !== 2) return realFs.write.call(fs, fd, buffer, ...rest);
  capture(fd === 1 ? 'stdout' : 'stderr', buffer);
  const done = rest.findLast((arg) => typeof arg === 'function');
  const written = typeof buffer === 'string' ? Buffer.byteLength(buffer) : buffer.byteLength;
  if (done) process.nextTick(done, null, written, buffer);
};
process.exit = (code) => {
  if (current && !current.exited) {
    current.exited = true;
    current.exitCode = code ?? process.exitCode ?? 0;
    current.resolveExit();
  }
  throw new Exit(code);
};
// Commands add listeners to the process (signals), one set per command.
process.setMaxListeners(0);
process.on('uncaughtException', (error) => {
  if (error instanceof Exit) return;
  if (current && !current.exited) {
    current.stderr += `${error?.stack ?? error}\n`;
    current.exited = true;
    current.exitCode = 1;
    current.resolveExit();
  } else realWrite.stderr.call(process.stderr, `cli-host: ${error?.stack ?? error}\n`);
});
process.on('unhandledRejection', (reason) => {
  if (reason instanceof Exit) return;
  process.emit('uncaughtException', reason);
});

/** Resource types that keep the event loop alive, counted. */
function resources() {
  const counts = new Map();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}
function leftOpen(before) {
  const left = [];
  for (const [type, n] of resources())
    if (n > (before.get(type) ?? 0)) left.push(`${n - (before.get(type) ?? 0)} ${type}`);
  return left;
}

const programs = new Map();
/** The program's module, imported once: its sources hold no state from one command to the next. */
function load(program) {
  if (!programs.has(program)) programs.set(program, import(pathToFileURL(program).href));
  return programs.get(program);
}

async function run({ program, args, env }) {
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, baseEnv, env);
  process.argv = [process.execPath, program, ...args];
  process.exitCode = undefined;
  const before = resources();
  let resolveExit;
  const exited = new Promise((resolve) => (resolveExit = resolve));
  current = { stdout: '', stderr: '', exited: false, exitCode: undefined, resolveExit };
  let answered;
  try {
    const { runCommand } = await load(program);
    answered = await Promise.race([runCommand(process.argv), exited]);
  } catch (error) {
    if (!(error instanceof Exit)) process.emit('uncaughtException', error);
  }
  const command = current;
  const code = command.exited ? command.exitCode : answered;
  command.exited = true; // what it does from here on is not its output any more
  // A real process exits when nothing is left open: wait for that, a few seconds at most.
  let left = leftOpen(before);
  for (let waited = 0; left.length > 0 && waited < 3000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    left = leftOpen(before);
  }
  current = undefined;
  process.exitCode = undefined;
  if (left.length > 0) {
    return {
      code: 124,
      stdout: command.stdout,
      stderr: `${command.stderr}cli-host: the command left ${left.join(', ')} open: a real process would not exit\n`,
    };
  }
  return { code, stdout: command.stdout, stderr: command.stderr };
}

let queue = Promise.resolve();
process.on('message', (message) => {
  queue = queue.then(async () => {
    const result = await run(message);
    process.send({ id: message.id, ...result });
  });
});
process.on('disconnect', () => exitHost(0));
