/**
 * The official JS SDK (@bitrix24/b24jssdk, B24OAuth) against the emulator, with the tokens of an installation as the
 * app received them in ONAPPINSTALL: if the SDK cannot tell the emulator from a portal, neither can our client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { B24OAuth, type B24OAuthParams } from '@bitrix24/b24jssdk';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/portal.js';
import { emulatorRig } from '../helpers/emulator-rig.js';

const rig = emulatorRig();

/** Installs the app (in the given region) and builds the SDK client from the ONAPPINSTALL the app received. */
async function installedClient(region: 'west' | 'east' = 'west') {
  const { portal } = await rig.emulator.install(`${rig.receiver.url}/bitrix24/install`, { region });
  const auth = rig.receiver.at('/bitrix24/install').at(-1)!.form.auth as Record<string, string>;
  const params: B24OAuthParams = {
    applicationToken: auth.application_token!,
    userId: Number(auth.user_id),
    memberId: auth.member_id!,
    accessToken: auth.access_token!,
    refreshToken: auth.refresh_token!,
    expires: Number(auth.expires),
    expiresIn: Number(auth.expires_in),
    scope: auth.scope!,
    domain: auth.domain!,
    clientEndpoint: auth.client_endpoint!,
    serverEndpoint: auth.server_endpoint!,
    status: 'L',
  };
  return { portal, b24: new B24OAuth(params, { clientId: EMULATOR_CLIENT_ID, clientSecret: EMULATOR_CLIENT_SECRET }) };
}

const admin = (path: string) =>
  fetch(`${rig.running.url}/admin/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });

/** The SDK answers an error either as a failed result or by throwing an AjaxError with a code. */
async function errorCode(
  run: () => Promise<{ isSuccess: boolean; getErrors(): IterableIterator<Error> | Error[] }>,
): Promise<string> {
  try {
    const result = await run();
    assert.equal(result.isSuccess, false);
    const [error] = [...result.getErrors()] as (Error & { code?: string })[];
    return error?.code ?? error?.message ?? '';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('the official JS SDK against the emulator', () => {
  it('app.info (the SDK requests {client_endpoint}/app.info, a doubled slash) answers the documented fields', async () => {
    const { b24 } = await installedClient();
    const response = await b24.actions.v2.call.make<Record<string, unknown>>({ method: 'app.info' });
    assert.ok(response.isSuccess);
    const info = response.getData()!.result;
    assert.deepEqual(Object.keys(info), [
      'ID',
      'CODE',
      'VERSION',
      'STATUS',
      'INSTALLED',
      'PAYMENT_EXPIRED',
      'DAYS',
      'LANGUAGE_ID',
      'LICENSE',
      'LICENSE_TYPE',
      'LICENSE_FAMILY',
    ]);
    assert.equal(info.INSTALLED, true);
  });

  it('a batch of 60 commands, split by the SDK into 50 + 10', async () => {
    const { b24 } = await installedClient();
    const before = rig.emulator.stats.byMethod.get('batch') ?? 0;
    const calls = Array.from({ length: 60 }, () => ['app.info', {}] as [string, Record<string, never>]);
    const response = await b24.actions.v2.batchByChunk.make<{ CODE: string }>({
      calls,
      options: { isHaltOnError: false },
    });
    assert.ok(response.isSuccess, [...response.getErrorMessages()].join('; '));
    assert.equal(response.getData()!.length, 60);
    assert.ok(response.getData()!.every((info) => info.CODE === EMULATOR_CLIENT_ID));
    assert.equal((rig.emulator.stats.byMethod.get('batch') ?? 0) - before, 2);
  });

  it('voximplant.user.get: METHOD_CONFIRM_WAITING, allowed by the administrator, then answered', async () => {
    const { b24, portal } = await installedClient();
    const ask = () =>
      b24.actions.v2.call.make<Record<string, unknown>[]>({ method: 'voximplant.user.get', params: { USER_ID: [1] } });
    assert.equal(await errorCode(ask), 'METHOD_CONFIRM_WAITING');
    const request = rig.emulator.waiting().find((r) => r.memberId === portal.memberId)!;
    assert.equal((await admin(`requests/${request.id}/allow`)).status, 200);
    const response = await ask();
    assert.ok(response.isSuccess);
    assert.deepEqual(Object.keys(response.getData()!.result[0]!), [
      'ID',
      'DEFAULT_LINE',
      'PHONE_ENABLED',
      'SIP_SERVER',
      'SIP_LOGIN',
      'SIP_PASSWORD',
      'INNER_NUMBER',
    ]);
  });

  for (const region of ['west', 'east'] as const) {
    it(`an expired token (${region}) is refreshed by the SDK itself at its portal's OAuth server`, async () => {
      const { b24, portal } = await installedClient(region);
      assert.equal((await admin(`portals/${portal.memberId}/expire-tokens`)).status, 200);
      const refreshes = rig.emulator.authority.refreshes;
      const response = await b24.actions.v2.call.make<{ ID: number }>({ method: 'app.info' });
      assert.ok(response.isSuccess);
      assert.equal(rig.emulator.authority.refreshes - refreshes, 1, 'one refresh');
      const auth = b24.auth.getAuthData();
      assert.equal(auth === false ? undefined : auth.member_id, portal.memberId);
    });
  }
});
