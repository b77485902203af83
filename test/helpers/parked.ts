/**
 * Many parked calls of one portal, for the tests that resume a thousand of them.
 *
 * The first call goes through the app's REST client as any other: the portal answers METHOD_CONFIRM_WAITING, shows
 * its one prompt for the token and method, and the call is parked. The others are copies of its row with their own
 * params, written in one transaction: parking a thousand calls one REST request at a time took most of those tests'
 * time and proves nothing the first call does not (test/e2e/method-confirmation.test.ts parks calls one by one).
 */
import assert from 'node:assert/strict';
import type { B24App } from '../../src/index.js';
import type { Params } from '../../src/rest/transport.js';
import { getParkedCall, insertParkedCall } from '../../src/store/parked-calls.js';

export async function parkCalls(
  app: B24App,
  memberId: string,
  count: number,
  options: { method: string; park: string; params: (n: number) => Params },
): Promise<void> {
  const first = await app
    .rest(memberId)
    .call(options.method, options.params(1), { whenWaiting: { park: options.park } });
  assert.ok(first.status === 'waiting' && first.parkedCallId, `the first call was parked: ${JSON.stringify(first)}`);
  const { id, ...row } = (await getParkedCall(app.store.db, first.parkedCallId))!;
  await app.store.db.transaction().execute(async (trx) => {
    for (let n = 2; n <= count; n++) await insertParkedCall(trx, { ...row, params: JSON.stringify(options.params(n)) });
  });
}
