/** One REST request to a portal: form-encoded like Bitrix24's own clients, with a timeout, answer parsed or typed error. */
import { httpBuildQuery, type Encodable } from '../protocol/index.js';
import { restErrorFrom, RestUnreachable } from './errors.js';

export interface RestSuccess {
  result: unknown;
  time?: unknown;
  next?: number;
  total?: number;
}

export type Params = { [key: string]: Encodable };

export async function sendRest(
  clientEndpoint: string,
  method: string,
  params: Params,
  accessToken: string,
  timeoutMs: number,
): Promise<RestSuccess> {
  const url = new URL(method, clientEndpoint.endsWith('/') ? clientEndpoint : `${clientEndpoint}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: httpBuildQuery({ ...params, auth: accessToken }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new RestUnreachable(
      timedOut ? 'timeout' : 'unreachable',
      `${method} at ${url.origin} ${timedOut ? `gave no answer within ${timeoutMs} ms` : 'could not be reached'}`,
      0,
    );
  }
  const body = (await response.json().catch(() => undefined)) as
    | { error?: unknown; error_description?: unknown; result?: unknown }
    | undefined;
  if (body && typeof body.error === 'string') {
    throw restErrorFrom(
      body.error,
      typeof body.error_description === 'string' ? body.error_description : '',
      response.status,
    );
  }
  if (!response.ok || !body || !('result' in body)) {
    throw restErrorFrom(
      'INVALID_RESPONSE',
      `${method} answered HTTP ${response.status} without a result`,
      response.status,
    );
  }
  return body as RestSuccess;
}
