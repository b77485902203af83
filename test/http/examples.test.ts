import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { expressServer } from '../../examples/express.js';
import { fastifyServer } from '../../examples/fastify.js';
import { fetchHandler } from '../../examples/fetch.js';
import * as bodies from '../fixtures/bodies.js';
import { createTestApp, FORM, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.app.installations.add({
    memberId: bodies.MEMBER_ID,
    domain: bodies.DOMAIN,
    applicationToken: bodies.APPLICATION_TOKEN,
  });
});
afterEach(() => t.close());

const post = (url: string, body = bodies.decidedNow(bodies.methodConfirmGranted)) =>
  fetch(url, { method: 'POST', headers: { 'content-type': FORM }, body });

describe('the README examples work as written', () => {
  it('Express', async () => {
    const server = expressServer(t.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal((await post(`${url}/bitrix24/events`)).status, 200);
      assert.equal((await post(`${url}/bitrix24/events`, bodies.methodConfirmWrongToken)).status, 403);
      assert.equal((await t.app.permissions())[0]?.state, 'granted');
    } finally {
      server.close();
    }
  });

  it('Fastify', async () => {
    const server = await fastifyServer(t.app);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    try {
      assert.equal((await post(`${url}/bitrix24/install`)).status, 200);
      assert.equal((await t.app.inbox.list()).length, 1);
    } finally {
      await server.close();
    }
  });

  it('Web-standard fetch handler', async () => {
    const handler = fetchHandler(t.app);
    const answer = await handler(
      new Request('http://app/bitrix24/events', {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: bodies.methodConfirmGranted,
      }),
    );
    assert.equal(answer.status, 200);
    assert.equal((await handler(new Request('http://app/elsewhere'))).status, 404);
  });
});
