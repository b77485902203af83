/**
 * Methods that wait for the administrator's confirmation: one request per (access token, method), created waiting on
 * first sight; the administrator's decision goes to the bound handlers as ONAPPMETHODCONFIRM (docs/protocol.md).
 */
import { fingerprint } from '../protocol/index.js';
import { LANGUAGE_ID } from './outbox.js';
import type { Emulator } from './portal.js';
import { EmulatorError, type ConfirmationRequest } from './types.js';

/** The confirmation state of (token, method), creating a waiting request (a notification) on first sight. */
export function confirmationFor(
  requests: ConfirmationRequest[],
  memberId: string,
  token: string,
  method: string,
): ConfirmationRequest {
  const found = requests.find((c) => c.token === token && c.method === method);
  if (found) return found;
  const request: ConfirmationRequest = {
    id: requests.length + 1,
    memberId,
    method,
    token,
    state: 'waiting',
    requestedAt: new Date(),
  };
  requests.push(request);
  return request;
}

/** What a page or a log may show of a request: the token only as a fingerprint. */
export function describeRequest(request: ConfirmationRequest) {
  const { token, ...rest } = request;
  return { ...rest, tokenFingerprint: fingerprint(token) };
}

/** The administrator allows or denies a waiting request: ONAPPMETHODCONFIRM goes to the bound handlers. */
export async function decideRequest(emulator: Emulator, requestId: number, allow: boolean) {
  const request = emulator.confirmations.find((c) => c.id === requestId);
  if (!request) throw new EmulatorError(`no confirmation request ${requestId}`);
  if (request.state !== 'waiting') throw new EmulatorError(`request ${requestId} was already ${request.state}`);
  request.state = allow ? 'granted' : 'denied';
  request.decidedAt = new Date();
  const portal = emulator.portal(request.memberId);
  const data = { TOKEN: request.token, METHOD: request.method, CONFIRMED: allow ? 1 : 0, LANGUAGE_ID };
  return {
    request,
    deliveries: await emulator.outbox.deliverBound(portal, 'ONAPPMETHODCONFIRM', data, emulator.portalAuth(portal)),
  };
}
