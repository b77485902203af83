/**
 * Property tests of the whole receiver, on both engines, through `app.handle()` and over HTTP: whatever the body,
 * never a 5xx, a JSON `{error, message}` for every refusal, no row changed by a refusal, and no secret of the case
 * in the answer or in any log line.
 */
import assert from 'node:assert/strict';
import { describe, after, before, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/server/server.js';
import type { HandleResponse } from '../../src/http/handle.js';
import type { TestApp } from '../helpers/app.js';
import { engines, rowCounts } from '../helpers/engines.js';
import { FUZZ_SEED, fuzzRuns } from '../helpers/scale.js';
import { APP_TOKEN, fuzzCase, INSTALLED, type FuzzCase } from './cases.js';
import { unless } from '../helpers/skip.js';

/** Cases run in this file, per engine, for the report of `npm run test:full`. */
const tally: Record<string, { cases: number; accepted: number; refused: Record<string, number> }> = {};

function assertNoSecret(text: string, secrets: string[], label: string): void {
  for (const s of secrets)
    assert.ok(!text.includes(s) && !text.includes(s.slice(0, 8)), `${label}: a secret leaked: ${text.slice(0, 400)}`);
}

for (const engine of await engines()) {
  describe(
    `fuzz: the receiver on ${engine.name}`,
    unless(engine.skip, () => {
      let t: TestApp;
      let server: FastifyInstance;
      let url: string;
      const seen: string[] = [];
      const count: (typeof tally)[string] = { cases: 0, accepted: 0, refused: {} };
      tally[engine.name] = count;
      const install = () =>
        t.app.installations.add({ memberId: INSTALLED, domain: 'fuzz.bitrix24.com', applicationToken: APP_TOKEN });

      before(async () => {
        t = await engine.open();
        await install();
        server = await createServer(t.app);
        url = `${await server.listen({ port: 0, host: '127.0.0.1' })}/bitrix24/events`;
      });
      after(async () => {
        await server.close();
        // Handlers run after the answer: their log lines are checked once everything is done.
        assertNoSecret(t.logs.join(''), [...new Set(seen)], 'all log lines');
        process.stdout.write(`# fuzz ${engine.name}: ${JSON.stringify(count)}\n`);
        await t.close();
      });

      async function check(c: FuzzCase, send: (c: FuzzCase) => Promise<HandleResponse>): Promise<void> {
        seen.push(...c.secrets);
        const before = await rowCounts(t.app.store);
        const logsBefore = t.logs.length;
        const answer = await send(c);
        count.cases++;
        assert.ok(answer.status < 500, `${c.label}: ${answer.status} ${answer.body}`);
        const json = JSON.parse(answer.body) as { ok?: boolean; error?: unknown; message?: unknown };
        if (answer.status === 200) {
          assert.equal(json.ok, true);
          count.accepted++;
          if ((await t.app.installations.get(INSTALLED))?.status !== 'active') await install();
        } else {
          assert.equal(typeof json.error, 'string', c.label);
          assert.equal(typeof json.message, 'string', c.label);
          count.refused[String(json.error)] = (count.refused[String(json.error)] ?? 0) + 1;
          assert.deepEqual(await rowCounts(t.app.store), before, `${c.label}: a refusal changed the database`);
        }
        assertNoSecret(answer.body + t.logs.slice(logsBefore).join(''), c.secrets, c.label);
      }

      it('app.handle(): never a 5xx, a named JSON error, no change on refusal, no secret', async () => {
        const send = (c: FuzzCase) =>
          t.app.handle({
            method: 'POST',
            headers: c.contentType === undefined ? {} : { 'content-type': c.contentType },
            body: c.body,
          });
        await fc.assert(
          fc.asyncProperty(fuzzCase, (c) => check(c, send)),
          { numRuns: fuzzRuns(200), seed: FUZZ_SEED },
        );
      });

      it('over HTTP: the same properties through the server', async () => {
        const send = async (c: FuzzCase): Promise<HandleResponse> => {
          // fetch refuses control characters in a header; such a type reaches the server as text/plain.
          const contentType =
            c.contentType !== undefined && /[\u0000-\u001f]/.test(c.contentType) ? 'text/plain' : c.contentType;
          const response = await fetch(url, {
            method: 'POST',
            headers: contentType === undefined ? {} : { 'content-type': contentType },
            body: c.body,
          });
          return { status: response.status, headers: {}, body: await response.text() };
        };
        await fc.assert(
          fc.asyncProperty(fuzzCase, (c) => check(c, send)),
          { numRuns: Math.ceil(fuzzRuns(200) / 10), seed: FUZZ_SEED + 1 },
        );
      });
    }),
  );
}
