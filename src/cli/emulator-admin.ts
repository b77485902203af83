/**
 * The administrator's actions on a running emulator (`b24-events emulator install`, `allow 1`, `trigger ...`):
 * each is one JSON request to its /admin/ API. Tokens never reach the output (requests show fingerprints).
 */
import { Command, Option } from 'commander';
import { UsageError, wholeNumber } from './common.js';

type Body = Record<string, unknown>;
export type Options = Record<string, string | string[] | boolean | number | undefined> & { url: string; json: boolean };

export function admin(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(
      new Option('--url <url>', 'the running emulator').env('B24_EMULATOR_URL').default('http://127.0.0.1:3100'),
    )
    .option('--json', 'print the answer as JSON', false);
}

async function call(url: string, method: string, path: string, body?: Body): Promise<unknown> {
  if (!URL.canParse(url)) throw new UsageError(`--url "${url}" is not a URL.`);
  let response: Response;
  try {
    response = await fetch(new URL(path, url), {
      method,
      headers: { 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new Error(`no emulator answers at ${url}; start one with "b24-events emulator".`);
  }
  const answer = (await response.json()) as { message?: string; error_description?: string };
  if (!response.ok)
    throw new Error(answer.message ?? answer.error_description ?? `the emulator answered HTTP ${response.status}`);
  return answer;
}

type Request = (args: string[], options: Options) => Promise<[string, string, Body?]> | [string, string, Body?];

export function action(command: Command, request: Request, show: (answer: never) => string): Command {
  return command.action(async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const options = cmd.opts<Options>();
    const [method, path, body] = await request(cmd.args, options);
    const answer = await call(options.url, method, path, body);
    process.stdout.write(`${options.json ? JSON.stringify(answer, null, 2) : show(answer as never)}\n`);
  });
}

interface Sent {
  event: string;
  url: string;
  eventHandlerId: number;
  status: number | string;
}
const sent = (list: Sent[]) =>
  list.length
    ? list.map((d) => `  ${d.event} -> ${d.url}: ${d.status} (event_handler_id ${d.eventHandlerId})`).join('\n')
    : '  (no handler bound for this event: nothing sent)';
export const portalPath = (o: Options, action: string) =>
  `/admin/portals/${encodeURIComponent(String(o.memberId))}/${action}`;
export const memberIdOption = (c: Command) => c.requiredOption('--member-id <id>', "the portal's member_id");
const repeatable = (v: string, all: string[]) => [...all, v];

interface Frame {
  status: number | string;
  html: boolean;
  loadsBx24: boolean;
  callsInstallFinish: boolean;
  finished: boolean;
}
const frameReport = (f: Frame) =>
  [
    `  the install page answered ${f.status}${f.html ? ' (HTML)' : ' (not HTML)'}`,
    `  it ${f.loadsBx24 ? 'loads' : 'does NOT load'} the BX24 library (…/api/v1/)`,
    `  it ${f.callsInstallFinish ? 'calls' : 'does NOT call'} BX24.installFinish()`,
    f.finished ? '  installation finished: events flow now' : '  installation NOT finished: the portal sends no events',
  ].join('\n');

/** The only portal with the app, when `--member-id` is left out. */
async function onlyPortal(url: string): Promise<string> {
  const portals = (await call(url, 'GET', '/admin/portals')) as { memberId: string; status: string }[];
  const installed = portals.filter((p) => p.status === 'installed');
  if (installed.length !== 1)
    throw new UsageError(`${installed.length} portals have the app installed: name one with --member-id.`);
  return installed[0]!.memberId;
}

export function adminCommands(): Command[] {
  const install = admin(
    'install',
    'install the app on a new portal: ONAPPINSTALL, or with --ui the frame POST and BX24.installFinish',
  )
    .option('--member-id <id>', 'member_id (default: random)')
    .option('--domain <host>', 'portal domain')
    .option(
      '--region <region>',
      'west (oauth.bitrix.info) or east (oauth.bitrix24.tech: the emulator’s east OAuth server)',
      'west',
    )
    .option('--app-url <url>', 'the app (default: the emulator’s --app-url)')
    .option('--version <v>', 'app version (at most 4 characters)')
    .option(
      '--ui',
      'the app has a UI: POST the frame form to the install URL and check the page finishes the installation',
      false,
    );
  const update = memberIdOption(
    admin('update', 'a new app version: ONAPPINSTALL again (new VERSION, fresh tokens, same application_token)'),
  )
    .option('--version <v>', 'the new version (default: the next whole number)')
    .option('--legacy', 'send ONAPPUPDATE to the bound handlers instead, as old portals do', false);
  const trigger = admin(
    'trigger',
    'deliver EVENT to the handlers bound for it, with the portal’s real auth block (a user’s tokens)',
  )
    .argument('<event>', 'event name, e.g. ONCRMDEALUPDATE')
    .option('--member-id <id>', 'the portal (default: the only one with the app)')
    .option('--set <data.KEY=VALUE>', 'set a data field, e.g. --set data.FIELDS.ID=42 (repeatable)', repeatable, [])
    .option('--user-id <n>', 'the user whose tokens the event carries', wholeNumber('--user-id'), 1)
    .option('--auth-connector <key>', 'the change was made with this source key: not queued to its offline queue');
  return [
    action(
      install,
      (_a, o) => [
        'POST',
        '/admin/install',
        {
          memberId: o.memberId,
          domain: o.domain,
          region: o.region,
          appUrl: o.appUrl,
          version: o.version,
          ...(o.ui ? { ui: true, frame: 'http' } : {}),
        },
      ],
      (a: { domain: string; memberId: string; region: string; delivery?: Sent; frame?: Frame }) =>
        `Installed on ${a.domain} (member_id ${a.memberId}, ${a.region}).\n${a.frame ? frameReport(a.frame) : sent(a.delivery ? [a.delivery] : [])}`,
    ),
    action(
      update,
      (_a, o) => ['POST', portalPath(o, 'update'), { version: o.version, legacy: o.legacy }],
      (a: { version: string; deliveries: Sent[] }) => `Updated to version ${a.version}.\n${sent(a.deliveries)}`,
    ),
    action(
      trigger,
      async (args, o) => [
        'POST',
        portalPath({ ...o, memberId: o.memberId ?? (await onlyPortal(o.url)) }, 'trigger'),
        { event: args[0], set: o.set, userId: o.userId, authConnector: o.authConnector },
      ],
      (a: { event: string; deliveries: Sent[] }) => `${a.event}:\n${sent(a.deliveries)}`,
    ),
    action(
      memberIdOption(admin('uninstall', 'remove the app: tokens revoked, ONAPPUNINSTALL sent')).option(
        '--clean',
        'the administrator chose to delete the app data',
      ),
      (_a, o) => ['POST', portalPath(o, 'uninstall'), { clean: Boolean(o.clean) }],
      (a: { deliveries: Sent[] }) => `Uninstalled.\n${sent(a.deliveries)}`,
    ),
    action(
      memberIdOption(admin('expire-token', "make the portal's access tokens expire now")),
      (_a, o) => ['POST', portalPath(o, 'expire-tokens')],
      (a: { expired: number }) => `${a.expired} access token(s) expired.`,
    ),
    action(
      memberIdOption(admin('revoke-token', "revoke the portal's access and refresh tokens")).option(
        '--refresh-only',
        'revoke only the refresh tokens: access tokens work until they expire, then a refresh answers invalid_grant',
        false,
      ),
      (_a, o) => ['POST', portalPath(o, 'revoke-tokens'), { refreshOnly: o.refreshOnly }],
      (a: { revoked: string }) => (a.revoked === 'refresh' ? 'Refresh tokens revoked.' : 'Tokens revoked.'),
    ),
    action(
      admin(
        'advance-clock',
        "move the portal's clock forward: tokens age (refresh tokens live 180 days)",
      ).requiredOption('--days <n>', 'days to move forward', wholeNumber('--days', 0)),
      (_a, o) => ['POST', '/admin/clock', { advanceSeconds: Number(o.days) * 86_400 }],
      (a: { now: string }) => `The portal's clock now says ${a.now}.`,
    ),
    action(
      admin('requests', 'list requests waiting for the administrator'),
      () => ['GET', '/admin/requests'],
      (a: { id: number; memberId: string; method: string; tokenFingerprint: string }[]) =>
        a.length
          ? a.map((r) => `#${r.id}  ${r.method}  member_id ${r.memberId}  token ${r.tokenFingerprint}`).join('\n')
          : 'No request is waiting.',
    ),
    action(
      admin('portals', 'list portals and their bound events'),
      () => ['GET', '/admin/portals'],
      (a: { memberId: string; domain: string; region: string; status: string; bindings: { event: string }[] }[]) =>
        a.length
          ? a
              .map(
                (p) =>
                  `${p.memberId}  ${p.domain}  ${p.region}  ${p.status}  bound: ${p.bindings.map((b) => b.event).join(', ') || '-'}`,
              )
              .join('\n')
          : 'No portal yet.',
    ),
    ...(['allow', 'deny'] as const).map((verdict) =>
      action(
        admin(verdict, `${verdict} a waiting request: sends ONAPPMETHODCONFIRM`).argument(
          '<id>',
          'request number (see "emulator requests")',
        ),
        (args) => ['POST', `/admin/requests/${encodeURIComponent(args[0]!)}/${verdict}`],
        (a: { request: { id: number; method: string; state: string }; deliveries: Sent[] }) =>
          `Request #${a.request.id} (${a.request.method}) ${a.request.state}.\n${sent(a.deliveries)}`,
      ),
    ),
    action(
      admin(
        'outage',
        'lose online deliveries: for --seconds N from now, or a --share of them (the offline queue keeps the changes)',
      )
        .option('--seconds <n>', 'how long every online delivery is lost', wholeNumber('--seconds', 0), 0)
        .option('--share <fraction>', 'lose this share of deliveries (0 to 1) until changed', '0'),
      (_a, o) => ['POST', '/admin/outage', { seconds: o.seconds, share: Number(o.share) }],
      (a: { until: string | null; share: number }) =>
        a.until
          ? `Online deliveries are lost until ${a.until}${a.share ? `, then ${a.share * 100}% of them` : ''}.`
          : a.share
            ? `${a.share * 100}% of online deliveries are lost.`
            : 'Online deliveries flow again.',
    ),
  ];
}
