/** `b24-events serve` as a user runs it: `--app` handlers, warnings about a missing configuration, `npm start` and signals. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as bodies from '../fixtures/bodies.js';
import { FORM, tempDir } from '../helpers/app.js';
import { runCli, startServer, addSamplePortal } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIGURED = {
  B24_CLIENT_ID: 'app.1',
  B24_CLIENT_SECRET: 'the-client-secret-value',
  PUBLIC_URL: 'https://app.example.com',
  HOST: '0.0.0.0',
};

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  for (const deadline = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('b24-events serve --app', () => {
  let dir: string;
  let db: string;
  before(async () => {
    dir = tempDir();
    db = join(dir, 'serve.sqlite');
    await addSamplePortal(['--db', db]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the handlers a module registers on the server’s app: TypeScript with --app, JavaScript with B24_APP', async () => {
    const handler = `app.on('ONAPPMETHODCONFIRM', (event) => console.log('handler saw', event.data.method, event.data.confirmed));`;
    const typescript = join(dir, 'my-app.ts');
    writeFileSync(
      typescript,
      `import type { B24App } from ${JSON.stringify(join(ROOT, 'src/index.js'))};
       export default async (app: B24App) => {
         ${handler}
       };`,
    );
    const javascript = join(dir, 'my-app.mjs');
    writeFileSync(javascript, `export default (app) => {\n  ${handler}\n};\n`);
    for (const [args, env] of [
      // A TypeScript module needs a TypeScript loader in the server's process, as `npm start` (tsx) gives it.
      [['--app', typescript], { NODE_OPTIONS: '--import tsx' }],
      // A JavaScript module needs none.
      [[], { B24_APP: javascript }],
    ] as const) {
      const server = await startServer(['--db', db, ...args], { ...CONFIGURED, HOST: '127.0.0.1', ...env });
      try {
        const answer = await fetch(`${server.url}/bitrix24/events`, {
          method: 'POST',
          headers: { 'content-type': FORM },
          body: bodies.methodConfirmGranted,
        });
        assert.equal(answer.status, 200);
        await until('the handler to run', () => server.output().includes('handler saw voximplant.user.get true'));
      } finally {
        assert.equal(await server.stop(), 0);
      }
    }
  });

  it('refuses a module it cannot use, saying why: missing (2), no function (2), failing to load (1)', async () => {
    writeFileSync(join(dir, 'nothing.mjs'), 'export const x = 1;');
    writeFileSync(join(dir, 'broken.mjs'), 'throw new Error("boom at load");');
    writeFileSync(join(dir, 'failing.mjs'), 'export function register() { throw new Error("boom in register"); }');
    const cases = [
      ['missing.mjs', 2, /--app .*missing\.mjs: no such file/],
      ['nothing.mjs', 2, /exports no function: export default \(app\) =>/],
      ['broken.mjs', 1, /could not be loaded: boom at load/],
      ['failing.mjs', 1, /its function failed while registering handlers: boom in register/],
    ] as const;
    for (const [file, code, message] of cases) {
      const result = await runCli(['serve', '--port', '0', '--db', db, '--app', join(dir, file)], CONFIGURED);
      assert.equal(result.code, code, `${file}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});

describe('b24-events serve warns about what a real install needs', () => {
  it('one warning for each missing variable, none when all are set, and never a secret', async () => {
    const dir = tempDir();
    try {
      const bare = await startServer(['--db', join(dir, 'a.sqlite')], {
        B24_CLIENT_ID: '',
        B24_CLIENT_SECRET: '',
        PUBLIC_URL: '',
        HOST: '127.0.0.1',
      });
      await bare.stop();
      for (const name of ['B24_CLIENT_ID', 'B24_CLIENT_SECRET', 'PUBLIC_URL', 'HOST']) {
        const lines = bare
          .output()
          .split('\n')
          .filter((line) => line.includes('"level":40') && line.includes(`"msg":"${name} `));
        assert.equal(lines.length, 1, `${name}:\n${bare.output()}`);
      }
      const configured = await startServer(['--db', join(dir, 'b.sqlite'), '--host', '0.0.0.0'], CONFIGURED);
      await configured.stop();
      assert.doesNotMatch(configured.output(), /"level":40/);
      assert.doesNotMatch(configured.output(), /the-client-secret-value/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Processes of ours whose environment carries `marker` (the test's own database path). */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker);
      } catch {
        return false; // gone, or not ours
      }
    })
    .map(Number);
}

describe('npm start', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to npm stops the server: nothing keeps listening, no process is left`, async () => {
      const dir = tempDir();
      const db = join(dir, `npm-start-${signal}.sqlite`);
      const npm = spawn('npm', ['start'], {
        cwd: ROOT,
        env: { ...process.env, ...CONFIGURED, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: db, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      npm.stdout.on('data', (c) => (output += String(c)));
      npm.stderr.on('data', (c) => (output += String(c)));
      const exited = new Promise<void>((resolve) => npm.on('exit', () => resolve()));
      try {
        await until('the server to listen', () => /"address":"http:\/\/[^"]+"/.test(output), 30_000);
        const url = /"address":"(http:\/\/[^"]+)"/.exec(output)![1]!;
        assert.equal((await fetch(`${url}/health`)).status, 200);
        npm.kill(signal);
        await exited;
        await until('every process of the server to end', () => processesWith(db).length === 0, 10_000);
        await assert.rejects(fetch(`${url}/health`), 'something still answers');
        assert.match(output, new RegExp(`"signal":"${signal}","msg":"b24-events is stopping"`));
      } finally {
        for (const pid of processesWith(db)) process.kill(pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
