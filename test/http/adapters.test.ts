import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createServer, type ServerOptions } from '../../src/server/server.js';
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

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const postTo = (url: string, body: string, contentType = FORM) =>
  fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('Web Request/Response adapter', () => {
  it('stores a genuine event and answers 200', async () => {
    const response = await t.app.fetch(
      new Request('http://app/bitrix24/events', {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: bodies.methodConfirmGranted,
      }),
    );
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { event: string }).event, 'ONAPPMETHODCONFIRM');
  });

  it('refuses a large body without reading it all', async () => {
    const response = await t.app.fetch(
      new Request('http://app/', { method: 'POST', headers: { 'content-type': FORM }, body: 'x'.repeat(70_000) }),
    );
    assert.equal(response.status, 413);
  });

  it('answers 405 to GET', async () => {
    assert.equal((await t.app.fetch(new Request('http://app/'))).status, 405);
  });
});

describe('node:http and Express adapter', () => {
  it('serves events on a plain node:http server', async () => {
    const server = await listen((req, res) => void t.app.node(req, res));
    try {
      assert.equal((await postTo(server.url, bodies.methodConfirmGranted)).status, 200);
      assert.equal((await postTo(server.url, bodies.methodConfirmGranted, 'text/xml')).status, 415);
      assert.equal((await postTo(server.url, 'x'.repeat(70_000))).status, 413);
      assert.equal((await t.app.inbox.list()).length, 1);
    } finally {
      await server.close();
    }
  });

  it('takes a raw body that express.raw() already read', async () => {
    const server = await listen(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      Object.assign(req, { body: Buffer.concat(chunks) });
      void t.app.node(req, res);
    });
    try {
      assert.equal((await postTo(server.url, bodies.methodConfirmGranted)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('explains what to do when a body parser consumed the body first', async () => {
    const server = await listen(async (req, res) => {
      for await (const _ of req);
      Object.assign(req, { body: { event: 'ONAPPMETHODCONFIRM' } });
      void t.app.node(req, res);
    });
    try {
      const response = await postTo(server.url, bodies.methodConfirmGranted);
      assert.equal(response.status, 500);
      assert.match(((await response.json()) as { message: string }).message, /express\.raw/);
    } finally {
      await server.close();
    }
  });
});

describe('Fastify plugin and the ready server', () => {
  it('serves /bitrix24/events, /bitrix24/install, /health and /metrics', async () => {
    const server = await createServer(t.app);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    try {
      assert.equal((await postTo(`${url}/bitrix24/events`, bodies.methodConfirmGranted)).status, 200);
      assert.equal((await postTo(`${url}/bitrix24/install`, bodies.methodConfirmDeniedLater)).status, 200);
      assert.equal((await postTo(`${url}/bitrix24/events`, bodies.methodConfirmWrongToken)).status, 403);
      assert.equal((await postTo(`${url}/bitrix24/events`, 'x'.repeat(70_000))).status, 413);
      assert.equal((await postTo(`${url}/bitrix24/events`, '<x/>', 'application/xml')).status, 415);
      assert.equal((await postTo(`${url}/bitrix24/events`, '{', 'application/json')).status, 400);
      assert.equal((await fetch(`${url}/bitrix24/events`)).status, 405);
      assert.deepEqual(await (await fetch(`${url}/health`)).json(), { status: 'ok' });
      assert.match(await (await fetch(`${url}/metrics`)).text(), /b24_events_received_total/);
      assert.equal((await t.app.inbox.list()).length, 2);
    } finally {
      await server.close();
    }
  });

  /** Opens a request that promises a body and sends it slowly (a byte every 100 ms, or nothing at all). */
  async function slowClient(options: ServerOptions, trickle: boolean) {
    const server = await createServer(t.app, options);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /bitrix24/events HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 60000\r\n\r\nevent=`,
    );
    const timer = trickle ? setInterval(() => socket.write('a'), 100) : undefined;
    let answer = '';
    socket.on('data', (chunk) => (answer += String(chunk)));
    const started = Date.now();
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000).unref();
    });
    clearInterval(timer);
    socket.destroy();
    return { closed, ms: Date.now() - started, answer, port, close: () => server.close() };
  }

  it('cuts off a client that trickles its body past the request timeout', async () => {
    const slow = await slowClient({ requestTimeoutMs: 400, connectionTimeoutMs: 60_000 }, true);
    try {
      assert.equal(slow.closed, true, `still open after ${slow.ms} ms`);
      assert.match(slow.answer, /^HTTP\/1\.1 408/);
      assert.deepEqual(await t.app.inbox.list(), []);
    } finally {
      await slow.close();
    }
  });

  it('cuts off a client that stops sending, and keeps serving', async () => {
    const slow = await slowClient({ requestTimeoutMs: 300, connectionTimeoutMs: 300 }, false);
    try {
      assert.equal(slow.closed, true, 'the server closed the idle connection');
      assert.ok(slow.answer === '' || /^HTTP\/1\.1 408/.test(slow.answer), slow.answer);
      assert.deepEqual(await t.app.inbox.list(), []);
      // Asked of /healthz, which answers at once: an event's answer waits for the disk, and on a loaded machine that
      // can outlast this server's 300 ms idle timeout, which would then cut off the test's own request.
      assert.deepEqual(await (await fetch(`http://127.0.0.1:${slow.port}/healthz`)).json(), { status: 'ok' });
    } finally {
      await slow.close();
    }
  });
});
