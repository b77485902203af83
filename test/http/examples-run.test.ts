/** The examples as programs: `PORT=0 node --import tsx examples/express.ts` serves, runs handlers and stops on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as bodies from '../fixtures/bodies.js';
import { FORM, tempDir } from '../helpers/app.js';
import { addSamplePortal } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the examples run as programs', () => {
  for (const example of ['express', 'fastify']) {
    it(`examples/${example}.ts honours PORT and DATABASE_URL, runs its handler and closes the app on SIGTERM`, async () => {
      const dir = tempDir();
      const db = join(dir, `${example}.sqlite`);
      try {
        await addSamplePortal(['--db', db]);
        const child = spawn(process.execPath, ['--import', 'tsx', `examples/${example}.ts`], {
          cwd: ROOT,
          env: { ...process.env, PORT: '0', DATABASE_URL: db, LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (c) => (output += String(c)));
        child.stderr.on('data', (c) => (output += String(c)));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        const seen = async (pattern: RegExp) => {
          for (
            const deadline = Date.now() + 20_000;
            !pattern.test(output);
            await new Promise((r) => setTimeout(r, 100))
          ) {
            if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${output}`);
          }
          return pattern.exec(output)!;
        };
        const url = (await seen(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
        assert.notEqual(url, 'http://127.0.0.1:3000');
        const answer = await fetch(`${url}/bitrix24/events`, {
          method: 'POST',
          headers: { 'content-type': FORM },
          body: bodies.methodConfirmGranted,
        });
        assert.equal(answer.status, 200);
        await seen(/voximplant\.user\.get true/);
        child.kill('SIGTERM');
        assert.equal(await exited, 0, output);
        await assert.rejects(fetch(`${url}/bitrix24/events`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
