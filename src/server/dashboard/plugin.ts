/**
 * The dashboard as a Fastify plugin: `server.register(dashboard(app, { token }))`, at the root or under a prefix.
 * Without a token it is off: `/` says how to turn it on and nothing else is served. With one, every page and the
 * JSON API need a session (sign-in form) or, for the API, the token as a Bearer; actions need a CSRF token too.
 */
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { B24App } from '../../app/create-app.js';
import { actionRoutes } from './actions.js';
import { apiRoutes } from './api.js';
import { DashboardAuth, readCookie, sameOrigin, SESSION_COOKIE, sessionCookie, type Session } from './auth.js';
import { page, problemPage, type Context } from './context.js';
import { BadQueryError } from './filters.js';
import { pageRoutes } from './pages.js';
import { AttemptLimiter } from './rate-limit.js';
import { render } from './render.js';

export interface DashboardOptions {
  /** The shared sign-in token (DASHBOARD_TOKEN); undefined or empty: the dashboard is off. */
  token?: string | undefined;
  /** Sign-in attempts allowed per client address and minute. Default 5. */
  signInPerMinute?: number;
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const isApi = (ctx: Context, request: FastifyRequest) => request.url.startsWith(`${ctx.base}/api/`);

export function dashboard(app: B24App, options: DashboardOptions = {}): FastifyPluginAsync {
  return async (scope: FastifyInstance) => {
    scope.addHook('onSend', async (_request, reply) => void reply.headers(HEADERS));
    const base = scope.prefix.replace(/\/$/, '');
    if (!options.token) {
      const html = render('off', { title: 'Dashboard off', base, nav: false });
      scope.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
      scope.get('/api/*', async (_request, reply) =>
        reply.code(404).send({
          error: 'dashboard_off',
          message: 'The dashboard and its API are off: set DASHBOARD_TOKEN to turn them on.',
        }),
      );
      return;
    }
    const ctx: Context = {
      app,
      auth: new DashboardAuth(options.token),
      base,
      sessions: new WeakMap<FastifyRequest, Session>(),
    };
    const limiter = new AttemptLimiter(options.signInPerMinute ?? 5);
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    scope.setErrorHandler((error: FastifyError, request, reply) => answerError(ctx, error, request, reply));

    scope.get('/signin', async (request, reply) => page(ctx, request, reply, 'signIn', { title: 'Sign in' }));
    scope.post('/signin', async (request, reply) => {
      if (!limiter.allow(request.ip)) {
        reply.header('retry-after', String(limiter.retryAfter(request.ip)));
        return page(
          ctx,
          request,
          reply,
          'signIn',
          { title: 'Sign in', message: 'Too many sign-in attempts from this address. Wait a minute and try again.' },
          429,
        );
      }
      if (!sameOrigin(request))
        return problemPage(ctx, request, reply, 403, 'Refused', 'The sign-in form was not sent from this dashboard.');
      const token = (request.body as Record<string, unknown> | undefined)?.token;
      if (!ctx.auth.tokenMatches(token)) {
        app.log.warn({ ip: request.ip }, 'dashboard sign-in refused: wrong token');
        return page(
          ctx,
          request,
          reply,
          'signIn',
          { title: 'Sign in', message: 'That is not the dashboard token.' },
          401,
        );
      }
      reply.header('set-cookie', sessionCookie(ctx.auth.newSession(), request, base || '/'));
      return reply.code(303).header('location', `${base}/`).send();
    });

    await scope.register(async (guarded) => {
      guarded.addHook('onRequest', async (request, reply) => {
        const session = ctx.auth.session(readCookie(request.headers.cookie, SESSION_COOKIE));
        if (session) return void ctx.sessions.set(request, session);
        if (isApi(ctx, request)) {
          if (request.method === 'GET' && ctx.auth.bearerMatches(request.headers.authorization)) return;
          return reply.code(401).send({
            error: 'unauthorized',
            message: 'Send Authorization: Bearer <DASHBOARD_TOKEN>, or sign in to the dashboard first.',
          });
        }
        return page(
          ctx,
          request,
          reply,
          'signIn',
          {
            title: 'Sign in',
            message: request.headers.cookie?.includes(SESSION_COOKIE)
              ? 'Your session is not valid any more; sign in again.'
              : undefined,
          },
          401,
        );
      });
      pageRoutes(guarded, ctx);
      apiRoutes(guarded, ctx);
      await guarded.register(async (actions) => actionRoutes(actions, ctx));
    });
  };
}

function answerError(ctx: Context, error: FastifyError | BadQueryError, request: FastifyRequest, reply: FastifyReply) {
  const status =
    error instanceof BadQueryError ? 400 : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
  if (status >= 500) ctx.app.log.error({ err: error }, 'dashboard request failed');
  const message = status >= 500 ? 'Something went wrong on the server; the log says what.' : error.message;
  if (isApi(ctx, request))
    return reply
      .code(status)
      .send(
        error instanceof BadQueryError
          ? { error: 'bad_query', message, details: error.issues }
          : { error: status >= 500 ? 'internal_error' : 'bad_request', message },
      );
  return problemPage(ctx, request, reply, status, status >= 500 ? 'Server error' : 'Bad request', message);
}
