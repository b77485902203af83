/**
 * Fastify plugin: `fastify.register(app.fastify, { prefix: '/bitrix24' })` serves `POST {prefix}/events` and
 * `POST {prefix}/install`. It takes every body raw, whatever its type, so that `handle()` alone decides.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { PayloadTooLargeError } from '../protocol/index.js';
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
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));
    fastify.setErrorHandler((error: Error & { code?: string }, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendAnswer(reply, errorResponse(new PayloadTooLargeError(maxBodyBytes)));
      throw error;
    });
    for (const path of options.paths ?? ['/events', '/install']) {
      fastify.all(path, async (request, reply) =>
        sendAnswer(reply, await handle({ method: request.method, headers: request.headers, body: request.body as Buffer | undefined, url: request.url })),
      );
    }
  };
}
