/**
 * Fastify plugin: `fastify.register(app.fastify, { prefix: '/bitrix24' })` serves `POST {prefix}/events` and
 * `POST {prefix}/install`. It takes every body raw, whatever its type, so that `handle()` alone decides.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../protocol/index.js';
import { errorResponse, type Handle, type HandleResponse } from './handle.js';

export interface FastifyPluginOptions {
  /** Paths served under the plugin's prefix. Default: ['/events', '/install']. */
  paths?: string[];
}

const sendAnswer = (reply: FastifyReply, answer: HandleResponse) =>
  reply.code(answer.status).headers(answer.headers).send(answer.body);

export function fastifyPlugin(handle: Handle, maxBodyBytes: number): FastifyPluginAsync<FastifyPluginOptions> {
  return async (fastify: FastifyInstance, options) => {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) =>
      done(null, body),
    );
    // Fastify refuses some requests before the route runs (an empty or unparsable content type, a bad length): they
    // get the same JSON `{error, message}` as every other refusal.
    fastify.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return sendAnswer(reply, errorResponse(new PayloadTooLargeError(maxBodyBytes)));
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
        return sendAnswer(reply, errorResponse(new UnsupportedMediaTypeError(request.headers['content-type'])));
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return sendAnswer(reply, {
          ...errorResponse(new MalformedBodyError(`The request could not be read (${error.code ?? 'bad request'}).`)),
          status: error.statusCode,
        });
      }
      throw error;
    });
    for (const path of options.paths ?? ['/events', '/install']) {
      fastify.all(path, async (request, reply) =>
        sendAnswer(
          reply,
          await handle({
            method: request.method,
            headers: request.headers,
            body: request.body as Buffer | undefined,
            url: request.url,
          }),
        ),
      );
    }
  };
}
