/** Web-standard adapter: `(request: Request) => Promise<Response>`, for Deno, Bun, Hono, workers and Node's fetch servers. */
import { B24EventsError } from '../protocol/index.js';
import { errorResponse, type Handle, type HandleResponse } from './handle.js';
import { readBody } from './read-body.js';

const toResponse = (answer: HandleResponse) =>
  new Response(answer.body, { status: answer.status, headers: answer.headers });

export function fetchAdapter(handle: Handle, maxBodyBytes: number): (request: Request) => Promise<Response> {
  return async (request) => {
    const headers = Object.fromEntries(request.headers);
    let body: Buffer | undefined;
    if (request.method.toUpperCase() === 'POST' && request.body) {
      try {
        body = await readBody(
          request.body as unknown as AsyncIterable<Uint8Array>,
          maxBodyBytes,
          headers['content-length'],
        );
      } catch (error) {
        if (error instanceof B24EventsError) return toResponse(errorResponse(error));
        throw error;
      }
    }
    return toResponse(await handle({ method: request.method, headers, body, url: request.url }));
  };
}
