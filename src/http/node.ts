/** node:http and Express adapter: `(req, res) => void`. Mount it before any body parser, or behind `express.raw()`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { B24EventsError } from '../protocol/index.js';
import { errorResponse, type Handle, type HandleResponse } from './handle.js';
import { readBody } from './read-body.js';

type MaybeParsed = IncomingMessage & { body?: unknown };

class BodyAlreadyParsedError extends B24EventsError {
  constructor() {
    super(
      'body_already_parsed',
      'A body parser consumed the request before b24-events saw it. Mount the b24-events handler before express.json()/urlencoded(), or give it the raw body with express.raw({ type: "*/*" }).',
      500,
    );
  }
}

async function bodyOf(req: MaybeParsed, maxBodyBytes: number): Promise<Uint8Array | string | undefined> {
  if (typeof req.body === 'string' || req.body instanceof Uint8Array) return req.body;
  if (req.body !== undefined && req.readableEnded) throw new BodyAlreadyParsedError();
  if (req.method?.toUpperCase() !== 'POST') return undefined;
  return readBody(req, maxBodyBytes, req.headers['content-length']);
}

function send(res: ServerResponse, answer: HandleResponse): void {
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

export function nodeAdapter(
  handle: Handle,
  maxBodyBytes: number,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let body: Uint8Array | string | undefined;
    try {
      body = await bodyOf(req, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof B24EventsError)) throw error;
      if (error.status === 413) res.setHeader('connection', 'close');
      return send(res, errorResponse(error));
    }
    send(res, await handle({ method: req.method ?? 'GET', headers: req.headers, body, url: req.url }));
  };
}
