/** `b24-events installations set-plan`: a portal's request limit (docs/protocol.md#77-limits), shown by `installations`. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { tempDir } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';

const env = { DATABASE_URL: join(tempDir(), 'plans.sqlite'), B24_APPLICATION_TOKEN: 'app-token-for-plans' };
const cli = (...args: string[]) => runCli(args, env);
const rateOf = async () => {
  const listed = await cli('installations', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  const [installation] = JSON.parse(listed.stdout) as { rateLimit: unknown; plan: string }[];
  return [installation?.rateLimit, installation?.plan];
};

describe('installations set-plan', () => {
  before(async () => {
    const added = await cli('installations', 'add', '--member-id', 'm1', '--domain', 'portal.bitrix24.com');
    assert.equal(added.code, 0, added.stderr);
  });

  it('sets the Enterprise plan, a rate of its own, and back to the default; installations shows each', async () => {
    assert.deepEqual(await rateOf(), [null, 'default']);
    const enterprise = await cli('installations', 'set-plan', 'm1', '--plan', 'enterprise');
    assert.equal(enterprise.code, 0, enterprise.stderr);
    assert.match(enterprise.stdout, /m1: rate limit 5\/250 \(enterprise\)/);
    assert.deepEqual(await rateOf(), [{ perSecond: 5, burst: 250 }, 'enterprise']);
    assert.match((await cli('installations')).stdout, /RATE LIMIT[\s\S]*5\/250 \(enterprise\)/);

    await cli('installations', 'set-plan', 'm1', '--rate', '0.5/10');
    assert.deepEqual(await rateOf(), [{ perSecond: 0.5, burst: 10 }, 'custom']);
    await cli('installations', 'set-plan', 'm1', '--plan', 'default');
    assert.deepEqual(await rateOf(), [null, 'default']);
  });

  it('refuses a bad rate, no choice, an unknown plan or portal, saying which (exit 2)', async () => {
    for (const [args, message] of [
      [['--rate', 'fast'], /--rate must be PER_SECOND\/BURST \(like 2\/50\), not "fast"/],
      [[], /set-plan needs --plan PLAN or --rate/],
      [['--plan', 'gold'], /Allowed choices are standard, enterprise, default/],
      [['--plan', 'standard', '--rate', '2/50'], /cannot be used with/],
    ] as const) {
      const refused = await cli('installations', 'set-plan', 'm1', ...args);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, message);
    }
    const unknown = await cli('installations', 'set-plan', 'nobody', '--plan', 'enterprise');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No installation has member_id nobody/);
  });
});
