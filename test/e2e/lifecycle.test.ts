import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { PortalUnavailableError } from '../../src/index.js';
import { eventually } from '../helpers/app.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
afterEach(() => stack?.close());

describe('installation lifecycle driven by the emulator', () => {
  it('binds the events the app registered with app.on as well, online and offline (the safety net)', async () => {
    stack = await startStack({ install: false });
    stack.app.on('onCrmDealAdd', () => {});
    const { portal } = await stack.emulator.install(`${stack.appUrl}/bitrix24/install`);
    const offline = stack.emulator.offline.queue(portal.memberId).bindings;
    await eventually(() => offline.length === 1);
    assert.deepEqual(portal.bindings.map((b) => b.event).sort(), [
      'ONAPPMETHODCONFIRM',
      'ONAPPUNINSTALL',
      'ONAPPUPDATE',
      'ONCRMDEALADD',
      'ONOFFLINEEVENT',
    ]);
    assert.deepEqual(
      offline.map((b) => [b.event, b.authConnector]),
      [['ONCRMDEALADD', 'b24events']],
    );
    await eventually(async () => (await stack.app.offline.status(portal.memberId))[0], 5000);
  });

  it("binds business events online only with delivery: 'online'", async () => {
    stack = await startStack({ install: false, app: { delivery: 'online' } });
    stack.app.on('onCrmDealAdd', () => {});
    const { portal } = await stack.emulator.install(`${stack.appUrl}/bitrix24/install`);
    await eventually(() => portal.bindings.length === 4);
    assert.equal(stack.emulator.offline.queue(portal.memberId).bindings.length, 0);
    assert.deepEqual(await stack.app.offline.status(), []);
  });

  for (const { shape, legacy } of [
    { shape: 'an update (a second ONAPPINSTALL, same application_token)', legacy: false },
    { shape: 'a legacy ONAPPUPDATE', legacy: true },
  ]) {
    it(`takes the new tokens and version of ${shape}`, async () => {
      stack = await startStack();
      const { deliveries, portal } = await stack.emulator.update(stack.memberId, { legacy });
      assert.deepEqual(
        deliveries.map((d) => d.status),
        [200],
      );
      await eventually(() => portal.bindings.length === 3);
      assert.equal((await stack.app.installations.get(stack.memberId))?.version, '2');
      assert.equal((await stack.app.rest(stack.memberId).call('app.info')).status, 'ok');
      // Events from the updated portal are still proved by its application_token.
      const parked = await stack.app
        .rest(stack.memberId)
        .call('voximplant.user.get', {}, { whenWaiting: { park: 'x' } });
      assert.equal(parked.status, 'waiting');
      const decision = await stack.emulator.decide(stack.emulator.waiting()[0]!.id, true);
      assert.deepEqual(
        decision.deliveries.map((d) => d.status),
        [200],
      );
    });
  }

  it('marks the installation uninstalled on ONAPPUNINSTALL and stops calling the portal', async () => {
    stack = await startStack();
    const { deliveries } = await stack.emulator.uninstall(stack.memberId);
    assert.deepEqual(
      deliveries.map((d) => d.status),
      [200],
    );
    const installation = await stack.app.installations.get(stack.memberId);
    assert.equal(installation?.status, 'uninstalled');
    assert.equal(installation?.hasTokens, false);
    await assert.rejects(stack.app.rest(stack.memberId).call('app.info'), PortalUnavailableError);
  });
});
