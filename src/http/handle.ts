/**
 * The whole request logic, once, for every framework: method, then the receiver; errors become JSON answers
 * `{error, message, details?}` with their status. Adapters only read the request and write this answer.
 */
import { B24EventsError, MethodNotAllowedError } from '../protocol/index.js';
import type { IncomingBody, Receipt } from '../core/receiver.js';
import { storeUnavailable } from '../store/errors.js';

export interface HandleRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array | string | undefined;
}

export interface HandleResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Receive = (incoming: IncomingBody) => Promise<Receipt>;
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

/**
 * `onFailure` hears of every answer that is not the request's fault: 503 when the database is away (its error
 * attached), 500 for anything else (a bug), so that both are logged and counted.
 */
export function createHandle(receive: Receive, onFailure: (error: unknown, status: 500 | 503) => void): Handle {
  return async (request) => {
    try {
      if (request.method.toUpperCase() !== 'POST') throw new MethodNotAllowedError(request.method);
      const receipt = await receive({ contentType: headerValue(request.headers, 'content-type'), body: request.body ?? '' });
      return json(200, { ok: true, id: receipt.inboxId, event: receipt.event, duplicate: receipt.duplicate });
    } catch (error) {
      const known = error instanceof B24EventsError ? error : storeUnavailable(error);
      if (known) {
        if (known.status >= 500) onFailure(error, known.status === 503 ? 503 : 500);
        return errorResponse(known);
      }
      onFailure(error, 500);
      return json(500, { error: 'internal_error', message: 'The event could not be stored; nothing was acknowledged. See the server log.' });
    }
  };
}
