/**
 * The installer frame of an app with a UI (docs/protocol.md#74-apps-with-a-ui-install-in-the-administrators-browser): the portal opens the app's install URL in the
 * administrator's browser with a form POST of the tokens and a query string naming the portal. No ONAPPINSTALL event
 * comes for such apps; the page must call `BX24.installFinish()`. Here the frame POST is checked and turned into the
 * ONAPPINSTALL it stands for, so that one path stores, proves and handles both kinds of install.
 */
import * as z from 'zod';
import { InvalidEventError, type FieldIssue } from './errors.js';
import type { Payload } from './decode.js';
import type { RawEvent } from './events.js';

const text = z.string({ error: (i) => (i.input === undefined ? 'required' : 'expected a string') }).min(1, 'required');
const host = text.regex(/^[a-z0-9.-]+(:\d+)?$/i, 'expected a host name such as portal.bitrix24.com');

const frameBody = z.looseObject({
  AUTH_ID: text,
  AUTH_EXPIRES: z
    .string()
    .regex(/^\d{1,7}$/, 'expected seconds')
    .optional(),
  REFRESH_ID: text,
  SERVER_ENDPOINT: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  APPLICATION_TOKEN: text,
  APPLICATION_SCOPE: z.string().optional(),
  member_id: text,
  status: z.string().optional(),
});

const frameQuery = z.looseObject({
  DOMAIN: host,
  PROTOCOL: z.enum(['0', '1']).optional(),
  LANG: z.string().max(8).optional(),
  APP_SID: z.string().optional(),
});

/** A browser's form POST (it asks for HTML) or the frame's query string marks an installer frame, not an event. */
export function isInstallerFrame(accept: string | undefined, query: URLSearchParams): boolean {
  return (accept ?? '').includes('text/html') || query.has('APP_SID');
}

const issuesOf = (error: z.ZodError, prefix: string): FieldIssue[] =>
  error.issues.map((issue) => ({
    path: `${prefix}${issue.path.map(String).join('.') || '(body)'}`,
    message: issue.message,
  }));

/**
 * The ONAPPINSTALL a frame POST stands for; `ts` is the time it arrived. Throws `InvalidEventError` naming every
 * missing or malformed field (a frame without APPLICATION_TOKEN is the app's page opened, not an install).
 */
export function installFromFrame(body: Payload, query: URLSearchParams, now: Date): RawEvent<'ONAPPINSTALL'> {
  const fields = frameBody.safeParse(body);
  const where = frameQuery.safeParse(Object.fromEntries(query));
  const issues = [
    ...(fields.success ? [] : issuesOf(fields.error, '')),
    ...(where.success ? [] : issuesOf(where.error, 'query.')),
  ];
  if (!fields.success || !where.success) throw new InvalidEventError(issues);
  const f = fields.data;
  const q = where.data;
  return {
    event: 'ONAPPINSTALL',
    data: { ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: q.LANG },
    ts: String(Math.floor(now.getTime() / 1000)),
    auth: {
      access_token: f.AUTH_ID,
      expires_in: f.AUTH_EXPIRES,
      refresh_token: f.REFRESH_ID,
      scope: f.APPLICATION_SCOPE,
      domain: q.DOMAIN,
      server_endpoint: f.SERVER_ENDPOINT,
      client_endpoint: `${q.PROTOCOL === '0' ? 'http' : 'https'}://${q.DOMAIN}/rest/`,
      member_id: f.member_id,
      status: f.status,
      application_token: f.APPLICATION_TOKEN,
    },
  };
}
