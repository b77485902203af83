/**
 * The dashboard's actions (POST, from its own forms): replay an event, replay every failed event a filter matches,
 * retry a failed parked call, sign out. Each needs the session's CSRF token and an Origin (or Referer) of this host;
 * anything else is a 403 and changes nothing. Afterwards the browser is sent back to a page (303).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { replayFailedEvents } from '../../app/bulk.js';
import { getInboxEvent } from '../../store/inbox.js';
import { sameOrigin, sessionCookie } from './auth.js';
import { problemPage, type Context } from './context.js';
import { idParam, inboxFilter, parse } from './filters.js';

type Form = Record<string, string | undefined>;
const formOf = (request: FastifyRequest): Form =>
  request.body && typeof request.body === 'object' ? (request.body as Form) : {};

export function actionRoutes(scope: FastifyInstance, ctx: Context): void {
  const { app, base } = ctx;
  const back = (reply: FastifyReply, path: string) => reply.code(303).header('location', `${base}${path}`).send();

  scope.addHook('preHandler', async (request, reply) => {
    const session = ctx.sessions.get(request);
    if (!sameOrigin(request))
      return problemPage(
        ctx,
        request,
        reply,
        403,
        'Refused',
        'This form was not sent from a page of this dashboard (its Origin is missing or another site). Nothing was changed.',
      );
    if (!session || !ctx.auth.csrfMatches(session, formOf(request).csrf)) {
      return problemPage(
        ctx,
        request,
        reply,
        403,
        'Refused',
        'The form\u2019s CSRF token is missing or does not belong to this session. Reload the page and try again; nothing was changed.',
      );
    }
  });

  scope.post('/inbox/:id/replay', async (request, reply) => {
    const id = idParam.safeParse(request.params);
    const entry = id.success ? await eventStatus(ctx, id.data.id) : undefined;
    if (!id.success || !entry)
      return problemPage(ctx, request, reply, 404, 'No such event', 'The inbox has no event with this id.');
    if (!(await app.inbox.replay(id.data.id)))
      return problemPage(
        ctx,
        request,
        reply,
        409,
        'Not replayed',
        `Event ${id.data.id} is ${entry}: only a done or failed event can be replayed.`,
      );
    app.log.info({ inboxId: id.data.id }, 'event replayed from the dashboard');
    return back(reply, `/inbox/${id.data.id}?notice=replayed`);
  });

  scope.post('/inbox/replay-failed', async (request, reply) => {
    const form = formOf(request);
    const filter = parse(inboxFilter, { event: form.event, memberId: form.memberId });
    const ids = await replayFailedEvents(app, { event: filter.event, memberId: filter.memberId });
    app.log.info({ count: ids.length, event: filter.event }, 'failed events replayed from the dashboard');
    const query = new URLSearchParams({ notice: 'replayed-all', n: String(ids.length) });
    if (filter.event) query.set('event', filter.event);
    if (filter.memberId) query.set('memberId', filter.memberId);
    return back(reply, `/inbox?${query}`);
  });

  scope.post('/calls/:id/retry', async (request, reply) => {
    const id = idParam.safeParse(request.params);
    const call = id.success ? await app.calls.get(id.data.id) : undefined;
    if (!id.success || !call)
      return problemPage(ctx, request, reply, 404, 'No such call', 'There is no parked call with this id.');
    if (!(await app.calls.retry(call.id)))
      return problemPage(
        ctx,
        request,
        reply,
        409,
        'Not retried',
        `Call ${call.id} is ${call.state}: only a failed call can be retried.`,
      );
    app.log.info({ parkedCallId: call.id }, 'parked call retried from the dashboard');
    return back(reply, `/calls?notice=retried`);
  });

  scope.post('/signout', async (request, reply) => {
    reply.header('set-cookie', sessionCookie('', request, base || '/', 0));
    return back(reply, '/signin');
  });
}

async function eventStatus(ctx: Context, id: number): Promise<string | undefined> {
  await ctx.app.ready();
  return (await getInboxEvent(ctx.app.store.db, id))?.status;
}
