/**
 * `npm run demo`: the whole method-confirmation flow on this machine, with the real commands. Starts the emulator
 * and the server (with the demo's continuation from demo/app.ts) as separate processes, installs the app, parks a
 * call that waits for the administrator, allows it, shows the call resumed with its result and the continuation's
 * line; then the same with a denial. Exits 0 only if every step happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const APP = fileURLToPath(new URL('./app.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'b24-events-demo-'));
const children: ChildProcess[] = [];
let step = 0;

const tty = process.stdout.isTTY;
const paint = (code: string, text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (text: string) => process.stdout.write(`\n${paint('1', `${++step}. ${text}`)}\n`);
const show = (text: string) => process.stdout.write(`${text.trim().replace(/^/gm, '   ')}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function cli(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += String(c)));
    child.stderr.on('data', (c) => (err += String(c)));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`b24-events ${args.join(' ')} failed (${code}):\n${err || out}`)),
    );
  });
}

/** Starts a long-running command; answers, once its output matches `ready`, a reader of everything it printed. */
function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<() => string> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`b24-events ${args[0]} did not start:\n${out}`)), 30_000);
    const read = (c: Buffer) => {
      out += String(c);
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(() => out);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`b24-events ${args[0]} exited (${code}):\n${out}`)));
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Call {
  id: number;
  state: string;
  method: string;
  result: unknown;
}

async function main() {
  const [appPort, emulatorPort] = [await freePort(), await freePort()];
  const appUrl = `http://127.0.0.1:${appPort}`;
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const env = {
    DATABASE_URL: join(dir, 'demo.sqlite'),
    B24_OAUTH_URL: emulatorUrl,
    B24_CLIENT_ID: 'local.b24events.emulator',
    B24_CLIENT_SECRET: 'emulator-client-secret',
    PUBLIC_URL: appUrl,
    B24_EMULATOR_URL: emulatorUrl,
    LOG_LEVEL: 'warn',
  };

  say(`Start the Bitrix24 emulator on ${emulatorUrl} and the b24-events server on ${appUrl}`);
  // --east-port 0: the east region's OAuth server on any free port (the next one may be taken).
  await startProcess(
    ['emulator', '--port', String(emulatorPort), '--east-port', '0', '--app-url', appUrl],
    env,
    /Bitrix24 emulator on/,
  );
  const serverOutput = await startProcess(
    ['serve', '--port', String(appPort), '--app', APP],
    { ...env, LOG_LEVEL: 'info' },
    /b24-events is serving/,
  );
  /** The line the demo's continuation (demo/app.ts) prints in the server's output for one call. */
  const continuationLine = (callId: number) =>
    until(
      `the continuation of call #${callId}`,
      async () => new RegExp(`^continuation ran for call #${callId}: .*$`, 'm').exec(serverOutput())?.[0],
    );
  show('both are up');

  say(
    'The administrator installs the app: the portal sends ONAPPINSTALL, the server verifies it with the OAuth server',
  );
  show(await cli(['emulator', 'install'], env));
  const portal = await until('the app to bind its events', async () => {
    const [p] = JSON.parse(await cli(['emulator', 'portals', '--json'], env)) as {
      memberId: string;
      bindings: { event: string }[];
    }[];
    return p && p.bindings.length >= 3 ? p : undefined;
  });
  show(`the app bound ${portal.bindings.map((b) => b.event).join(', ')}`);
  const memberId = portal.memberId;

  say('The app calls voximplant.user.get, which needs the administrator’s permission, and parks the call');
  const waiting = JSON.parse(
    await cli(['call', '--member-id', memberId, 'voximplant.user.get', 'USER_ID=1', '--park', 'sync-phone-users'], env),
  ) as { status: string; parkedCallId: number };
  show(`outcome: ${waiting.status}, parked call #${waiting.parkedCallId}`);
  if (waiting.status !== 'waiting') throw new Error('the call did not wait for confirmation');

  say('The administrator sees the notification and allows it: the portal sends ONAPPMETHODCONFIRM');
  show(await cli(['emulator', 'requests'], env));
  const [request] = JSON.parse(await cli(['emulator', 'requests', '--json'], env)) as { id: number }[];
  show(await cli(['emulator', 'allow', String(request!.id)], env));

  say(
    'The server replays the parked call with the granted token, stores its result and runs the continuation (demo/app.ts)',
  );
  const done = await until('the parked call to finish', async () => {
    const calls = JSON.parse(await cli(['calls', '--json'], env)) as Call[];
    const call = calls.find((c) => c.id === waiting.parkedCallId);
    return call && call.state !== 'waiting' && call.state !== 'ready' ? call : undefined;
  });
  show(`parked call #${done.id}: ${done.state}, result ${JSON.stringify(done.result)}`);
  if (done.state !== 'done') throw new Error(`the call ended ${done.state}`);
  show(`server: ${await continuationLine(done.id)}`);
  show(await cli(['permissions'], env));

  say('A decision binds one access token: the token expires, the app refreshes it, and calls again');
  show(await cli(['emulator', 'expire-token', '--member-id', memberId], env));
  const second = JSON.parse(
    await cli(['call', '--member-id', memberId, 'voximplant.user.get', 'USER_ID=2', '--park', 'sync-phone-users'], env),
  ) as { status: string; parkedCallId: number };
  show(`outcome: ${second.status}, parked call #${second.parkedCallId} (a new token must be confirmed again)`);
  if (second.status !== 'waiting') throw new Error('the call with the new token did not wait');

  say('This time the administrator denies it');
  const [next] = JSON.parse(await cli(['emulator', 'requests', '--json'], env)) as { id: number }[];
  show(await cli(['emulator', 'deny', String(next!.id)], env));
  const denied = await until('the parked call to end', async () => {
    const calls = JSON.parse(await cli(['calls', '--json'], env)) as Call[];
    const call = calls.find((c) => c.id === second.parkedCallId);
    return call && call.state !== 'waiting' ? call : undefined;
  });
  show(`parked call #${denied.id}: ${denied.state}`);
  if (denied.state !== 'denied') throw new Error(`the call ended ${denied.state}`);
  show(`server: ${await continuationLine(denied.id)}`);
  show(await cli(['calls'], env));

  process.stdout.write(`\n${paint('32', 'Every step happened.')}\n`);
}

main()
  .then(
    () => 0,
    (error: Error) => (process.stderr.write(`\n${paint('31', `Demo failed: ${error.message}`)}\n`), 1),
  )
  .then((code) => {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  });
