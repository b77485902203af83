/** Bodies that once answered 500, leaked a secret, or pinned the ledger; each test named after the bug, on both engines. */
import assert from 'node:assert/strict';
import { describe, after, before, it } from 'node:test';
import * as bodies from '../fixtures/bodies.js';
import { engines, rowCounts } from '../helpers/engines.js';
import type { TestApp } from '../helpers/app.js';
import { unless } from '../helpers/skip.js';

const JSON_TYPE = 'application/json';
const auth = {
  domain: bodies.DOMAIN,
  client_endpoint: `https://${bodies.DOMAIN}/rest/`,
  server_endpoint: 'https://oauth.bitrix.info/rest/',
  member_id: bodies.MEMBER_ID,
  application_token: bodies.APPLICATION_TOKEN,
};
const nested = (depth: number, leaf: string) => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
const withTs = (body: string, ts: string) => body.replace('ts=1478790852', `ts=${ts}`);

for (const engine of await engines()) {
  describe(
    `reliability and secrets (${engine.name})`,
    unless(engine.skip, () => {
      let t: TestApp;
      before(async () => {
        t = await engine.open();
        await t.app.installations.add({
          memberId: bodies.MEMBER_ID,
          domain: bodies.DOMAIN,
          applicationToken: bodies.APPLICATION_TOKEN,
        });
      });
      after(() => t.close());

      /** Posts, and checks the answer is a 400 `{error, message}` that changed nothing. */
      async function refused(body: string, contentType?: string) {
        const before = await rowCounts(t.app.store);
        const answer = await t.post(body, contentType);
        assert.equal(answer.status, 400, JSON.stringify(answer.json));
        assert.equal(typeof answer.json.error, 'string');
        assert.equal(typeof answer.json.message, 'string');
        assert.deepEqual(await rowCounts(t.app.store), before);
        return answer.json as { error: string; message: string; details?: { path: string }[] };
      }

      it('anonymous JSON nested 3,000 deep answers 400 malformed_body, not 500 (stack overflow in the form-value walk)', async () => {
        const answer = await refused(nested(3000, '"x"'), JSON_TYPE);
        assert.equal(answer.error, 'malformed_body');
        assert.match(answer.message, /nests deeper than 16 levels/);
      });

      it('authenticated data nested 2,000 deep answers 400, not 500 (stack overflow in the payload scrubber)', async () => {
        const body = `{"event":"ONCRMDEALADD","ts":"1478840000","auth":${JSON.stringify(auth)},"data":${nested(2000, '"x"')}}`;
        assert.equal((await refused(body, JSON_TYPE)).error, 'malformed_body');
        const form = `${bodies.dealAdd}&data${'%5Ba%5D'.repeat(2000)}=1`;
        assert.equal((await refused(form)).error, 'malformed_body');
      });

      it('a NUL byte in auth[member_id] answers 400 naming the field (PostgreSQL answered 500)', async () => {
        const answer = await refused(
          bodies.methodConfirmGranted.replace(`member_id%5D=${bodies.MEMBER_ID}`, `member_id%5D=m1%00`),
        );
        assert.equal(answer.error, 'malformed_body');
        assert.match(answer.message, /auth\.member_id/);
        assert.equal((await refused(`{"event":"X","ts":"1","au\\u0000th":{}}`, JSON_TYPE)).error, 'malformed_body');
      });

      it('ts=8640000000001 answers 400 naming ts (was RangeError: Invalid time value)', async () => {
        const answer = await refused(withTs(bodies.methodConfirmGranted, '8640000000001'));
        assert.equal(answer.error, 'invalid_event');
        assert.deepEqual(
          answer.details?.map((d) => d.path),
          ['ts'],
        );
      });

      it('ONAPPUPDATE with auth[expires]=99999999999999 answers 400 naming auth.expires (was RangeError)', async () => {
        const answer = await refused(
          bodies.update('some-refresh-token').replace('expires%5D=1478803600', 'expires%5D=99999999999999'),
        );
        assert.deepEqual(
          answer.details?.map((d) => d.path),
          ['auth.expires'],
        );
        const lifetime = await refused(
          bodies.update('some-refresh-token').replace('expires_in%5D=3600', 'expires_in%5D=99999999999999'),
        );
        assert.deepEqual(
          lifetime.details?.map((d) => d.path),
          ['auth.expires_in'],
        );
      });

      it('a decision with ts in year 2223 cannot pin the permission ledger against later real decisions', async () => {
        // Accepted (a portal with a wrong clock must not lose events), but ordered by its arrival.
        assert.equal((await t.post(withTs(bodies.methodConfirmGranted, '7958074852'))).status, 200);
        const now = Math.floor(Date.now() / 1000);
        const real = withTs(bodies.methodConfirmGranted, String(now)).replace('CONFIRMED%5D=1', 'CONFIRMED%5D=0');
        assert.equal((await t.post(real)).status, 200);
        const [permission] = await t.app.permissions(bodies.MEMBER_ID);
        assert.equal(permission?.state, 'denied');
      });

      it('a bad percent-encoding inside application_token is not quoted in the answer or the log', async () => {
        const secret = 'apptok_SECRET1';
        const body = bodies.methodConfirmGranted.replace(
          `application_token%5D=${bodies.APPLICATION_TOKEN}`,
          `application_token%5D=${secret}%ZZ`,
        );
        const answer = await refused(body);
        assert.match(answer.message, /auth\[application_token\]/);
        assert.ok(!JSON.stringify(answer).includes('SECRET1'));
        assert.ok(!t.logs.join('').includes('SECRET1'), 'the log line quotes the value');
      });

      it('an event named "ONAPPMETHODCONFIRM " (trailing space) is stored without its raw data.TOKEN', async () => {
        const body = withTs(bodies.methodConfirmGranted, '1478790001').replace(
          'event=ONAPPMETHODCONFIRM',
          'event=ONAPPMETHODCONFIRM+',
        );
        assert.equal((await t.post(body)).status, 200);
        const deal = `${bodies.dealAdd}&data%5BFIELDS%5D%5Baccess_token%5D=deal-secret-1&data%5Bdeep%5D%5Bx%5D%5BToken%5D=deal-secret-2`;
        assert.equal((await t.post(deal)).status, 200);
        const rows = await t.app.store.db.selectFrom('inbox').select('payload').execute();
        const stored = rows.map((r) => r.payload).join('\n');
        for (const secret of [bodies.CONFIRM_TOKEN, bodies.APPLICATION_TOKEN, 'deal-secret-1', 'deal-secret-2'])
          assert.ok(!stored.includes(secret), `${secret} stored`);
        assert.match(stored, /"TOKEN":"sha256:[0-9a-f]{64}"/);
      });
    }),
  );
}
