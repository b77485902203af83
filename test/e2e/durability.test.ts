import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as bodies from '../fixtures/bodies.js';
import { FORM, tempDir } from '../helpers/app.js';
import { runCli, startServer, addSamplePortal } from '../helpers/cli.js';

describe('every acknowledged event is on disk before the 2xx', () => {
  it('keeps events answered 200 when the server is killed right after answering', async () => {
    const db = join(tempDir(), 'durable.sqlite');
    const env = { DATABASE_URL: db };
    await addSamplePortal([], env);
    const server = await startServer(['--db', db]);
    const acknowledged: number[] = [];
    for (let i = 0; i < 20; i++) {
      const body = bodies.methodConfirmGranted.replace('ts=1478790852', `ts=${1478790852 + i}`);
      const response = await fetch(`${server.url}/bitrix24/events`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body,
      });
      if (response.status === 200) acknowledged.push(((await response.json()) as { id: number }).id);
    }
    await server.kill('SIGKILL');
    const inbox = await runCli(['inbox', '--json', '--limit', '100'], env);
    const stored = (JSON.parse(inbox.stdout) as { id: number }[]).map((e) => e.id).sort((a, b) => a - b);
    assert.equal(acknowledged.length, 20);
    assert.deepEqual(stored, acknowledged);
  });
});
