/** What every dashboard route shares: the app, where it is mounted, who is signed in, and helpers to answer pages. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { B24App } from '../../app/create-app.js';
import { installationSecrets } from '../../store/installations.js';
import { redactText } from '../../protocol/index.js';
import type { DashboardAuth, Session } from './auth.js';
import { render, type PageName } from './render.js';

export interface Context {
  app: B24App;
  auth: DashboardAuth;
  base: string;
  sessions: WeakMap<FastifyRequest, Session>;
}

const NOTICES: Record<string, (n: number) => string> = {
  replayed: () => 'The event is queued again; its handlers run within a second or two.',
  'replayed-all': (n) => `${n} failed event${n === 1 ? ' is' : 's are'} queued again.`,
  retried: () => 'The call is ready again; the worker replays it within a second or two.',
};

export function noticeOf(query: unknown): string | undefined {
  const { notice, n } = (query ?? {}) as { notice?: unknown; n?: unknown };
  const make = typeof notice === 'string' ? NOTICES[notice] : undefined;
  return make?.(Number(n) || 0);
}

/** Answers a page inside the frame, with the signed-in session's CSRF token. */
export function page(
  ctx: Context,
  request: FastifyRequest,
  reply: FastifyReply,
  name: PageName,
  data: { title: string; current?: string } & Record<string, unknown>,
  status = 200,
) {
  const session = ctx.sessions.get(request);
  const html = render(name, {
    base: ctx.base,
    nav: session !== undefined,
    csrf: session?.csrf ?? '',
    notice: noticeOf(request.query),
    ...data,
  });
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

export function problemPage(
  ctx: Context,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  heading: string,
  message: string,
) {
  return page(ctx, request, reply, 'problem', { title: heading, heading, message }, status);
}

/** Domains by member_id, for showing portals by name. */
export async function domains(
  app: B24App,
): Promise<{ list: { memberId: string; domain: string }[]; of: (memberId: string) => string }> {
  const list = (await app.installations.list()).map((i) => ({ memberId: i.memberId, domain: i.domain }));
  const map = new Map(list.map((p) => [p.memberId, p.domain]));
  return { list, of: (memberId) => map.get(memberId) ?? memberId };
}

/** Cuts each portal's stored secrets out of texts shown (error messages were redacted when stored; this is a second net). */
export async function scrubber(
  app: B24App,
  memberIds: Iterable<string>,
): Promise<(memberId: string, text: string | null) => string | null> {
  const secrets = new Map<string, string[]>();
  for (const id of new Set(memberIds)) secrets.set(id, await installationSecrets(app.store.db, id));
  return (memberId, text) => (text === null ? null : redactText(text, secrets.get(memberId) ?? []));
}

export function age(fromIso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}
