/**
 * The whole request logic, once, for every framework: method, then the receiver; errors become JSON answers
 * `{error, message, details?}` with their status. Adapters only read the request and write this answer.
 */
import { B24EventsError, isInstallerFrame, MethodNotAllowedError } from '../protocol/index.js';
import type { IncomingBody, Receipt } from '../core/receiver.js';
import { installedPage, refusedPage, type InstallPageOptions } from './install-page.js';
import { storeUnavailable } from '../store/errors.js';

export interface HandleRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array | string | undefined;
  /** The request's path and query (`/bitrix24/install?DOMAIN=...`): the installer frame names the portal there. */
  url?: string | undefined;
}

export interface HandleResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Receivers {
  event(incoming: IncomingBody): Promise<Receipt>;
  installerFrame(incoming: IncomingBody, query: URLSearchParams): Promise<Receipt>;
}
export type Handle = (request: HandleRequest) => Promise<HandleResponse>;

const json = (status: number, value: unknown, extra: Record<string, string> = {}): HandleResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...extra },
  body: JSON.stringify(value),
});

export function errorResponse(error: B24EventsError): HandleResponse {
  return json(error.status, error.toJSON(), error.status === 405 ? { allow: 'POST' } : {});
}

export function headerValue(headers: HandleRequest['headers'], name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const html = (status: number, body: string): HandleResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body,
});

const unexpected = {
  error: 'internal_error',
  message: 'The event could not be stored; nothing was acknowledged. See the server log.',
};

/**
 * Events answer JSON; the installer frame, shown to the administrator, answers a page. `onFailure` hears of every
 * answer that is not the request's fault: 503 when the database is away (its error attached), 500 for anything else
 * (a bug), so that both are logged and counted.
 */
export function createHandle(
  receive: Receivers,
  onFailure: (error: unknown, status: 500 | 503) => void,
  installPage: InstallPageOptions = {},
): Handle {
  return async (request) => {
    const query = new URL(request.url ?? '/', 'http://b24-events.invalid').searchParams;
    const frame =
      request.method.toUpperCase() === 'POST' && isInstallerFrame(headerValue(request.headers, 'accept'), query);
    const incoming = { contentType: headerValue(request.headers, 'content-type'), body: request.body ?? '' };
    try {
      if (frame) {
        const receipt = await receive.installerFrame(incoming, query);
        return html(200, installedPage(receipt.memberId, installPage));
      }
      if (request.method.toUpperCase() !== 'POST') throw new MethodNotAllowedError(request.method);
      const receipt = await receive.event(incoming);
      return json(200, { ok: true, id: receipt.inboxId, event: receipt.event, duplicate: receipt.duplicate });
    } catch (error) {
      const known = error instanceof B24EventsError ? error : storeUnavailable(error);
      if (known && known.status < 500) return frame ? html(known.status, refusedPage(known)) : errorResponse(known);
      const status = known?.status === 503 ? 503 : 500;
      onFailure(error, status);
      const answer = known ?? new B24EventsError(unexpected.error, unexpected.message, 500);
      return frame ? html(status, refusedPage(answer)) : errorResponse(answer);
    }
  };
}
