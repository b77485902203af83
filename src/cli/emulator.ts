/**
 * `b24-events emulator`: a fake Bitrix24 portal on this machine, and the administrator's actions on it
 * (`emulator install`, `emulator allow 1`, ...), which talk to a running emulator over HTTP.
 */
import { Command, Option } from 'commander';
import { serveEmulator } from '../emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../emulator/portal.js';
import type { RateLimit } from '../protocol/index.js';
import { wholeNumber } from './common.js';

function rateLimit(value: string): RateLimit | false {
  if (value === 'off') return false;
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!match || Number(match[1]) <= 0 || Number(match[2]) < 1) throw new Error(`--rate-limit must be PER_SECOND/BURST (like 2/50) or off, not "${value}".`);
  return { perSecond: Number(match[1]), burst: Number(match[2]) };
}

interface StartOptions {
  port: number;
  host: string;
  appUrl: string;
  clientId: string;
  clientSecret: string;
  confirmMethod: string[];
  tokenTtl: number;
  rateLimit: string;
}

function start(options: StartOptions) {
  return async () => {
    if (!URL.canParse(options.appUrl)) throw new Error(`--app-url "${options.appUrl}" is not a URL.`);
    const limit = rateLimit(options.rateLimit);
    const emulator = new Emulator({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      accessTtlSeconds: options.tokenTtl,
      rateLimit: limit,
      confirmMethods: ['voximplant.user.get', ...options.confirmMethod],
    });
    const running = await serveEmulator(emulator, { port: options.port, host: options.host, appUrl: options.appUrl });
    process.stdout.write(
      [
        `Bitrix24 emulator on ${running.url} (notifications page: ${running.url}/)`,
        `ONAPPINSTALL goes to ${options.appUrl.replace(/\/+$/, '')}/bitrix24/install`,
        'Point the app at it with:',
        `  B24_OAUTH_URL=${running.url} B24_CLIENT_ID=${options.clientId} B24_CLIENT_SECRET=${options.clientSecret === EMULATOR_CLIENT_SECRET ? EMULATOR_CLIENT_SECRET : '<the --client-secret you gave>'}`,
        `Methods that need confirmation: ${[...emulator.confirmMethods].join(', ')}`,
        '',
      ].join('\n'),
    );
    const stop = () => void running.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  };
}

/** The administrator's actions: HTTP calls to a running emulator. */
function admin(name: string, description: string) {
  return new Command(name)
    .description(description)
    .addOption(new Option('--url <url>', 'the running emulator').env('B24_EMULATOR_URL').default('http://127.0.0.1:3100'))
    .option('--json', 'print the answer as JSON', false);
}

async function call(url: string, method: string, path: string, body?: object): Promise<unknown> {
  if (!URL.canParse(url)) throw new Error(`--url "${url}" is not a URL.`);
  let response: Response;
  try {
    response = await fetch(new URL(path, url), { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  } catch {
    throw new Error(`no emulator answers at ${url}; start one with "b24-events emulator".`);
  }
  const answer = (await response.json()) as { message?: string };
  if (!response.ok) throw new Error(answer.message ?? `the emulator answered HTTP ${response.status}`);
  return answer;
}

type Shown = (answer: never) => string;

function action(command: Command, request: (args: string[], options: Record<string, string>) => [string, string, object?], show: Shown): Command {
  return command.action(async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const options = cmd.opts<Record<string, string> & { url: string; json: boolean }>();
    const [method, path, body] = request(cmd.args, options);
    const answer = await call(options.url, method, path, body);
    process.stdout.write(`${options.json ? JSON.stringify(answer, null, 2) : show(answer as never)}\n`);
  });
}

const deliveries = (list: { event: string; url: string; status: number | string }[]) =>
  list.length ? list.map((d) => `  ${d.event} -> ${d.url}: ${d.status}`).join('\n') : '  (no handler bound for this event: nothing sent)';
const memberIdOption = (c: Command) => c.requiredOption('--member-id <id>', "the portal's member_id");

export function emulatorCommand(): Command {
  const command = new Command('emulator')
    .description('run a fake Bitrix24 portal (OAuth, REST, confirmations, events); subcommands act as its administrator')
    .enablePositionalOptions()
    .option('--port <n>', 'port to listen on', wholeNumber('--port', 0), 3100)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--app-url <url>', 'the app under development', 'http://127.0.0.1:3000')
    .addOption(new Option('--client-id <id>', "the app's client_id").env('B24_CLIENT_ID').default(EMULATOR_CLIENT_ID))
    .addOption(new Option('--client-secret <secret>', "the app's client_secret").env('B24_CLIENT_SECRET').default(EMULATOR_CLIENT_SECRET, 'the emulator default'))
    .option('--confirm-method <method>', 'another method that needs the administrator’s confirmation (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--token-ttl <seconds>', 'access token lifetime', wholeNumber('--token-ttl'), 3600)
    .option('--rate-limit <rate/burst>', 'per-portal request limit, or off', '2/50');
  command.action(async (options: StartOptions) => start(options)());

  command.addCommand(
    action(
      admin('install', 'install the app on a new portal: sends ONAPPINSTALL to the app').option('--member-id <id>', 'member_id (default: random)').option('--domain <host>', 'portal domain'),
      (_a, o) => ['POST', '/admin/install', { memberId: o.memberId, domain: o.domain }],
      (a: { memberId: string; domain: string; delivery: { url: string; status: number | string; event: string } }) =>
        `Installed on ${a.domain} (member_id ${a.memberId}).\n${deliveries([a.delivery])}`,
    ),
  );
  command.addCommand(
    action(memberIdOption(admin('update', 'release a new app version: ONAPPUPDATE with new tokens and application_token')), (_a, o) => ['POST', `/admin/portals/${encodeURIComponent(o.memberId!)}/update`], (a: { version: number; deliveries: never[] }) => `Updated to version ${a.version}.\n${deliveries(a.deliveries)}`),
  );
  command.addCommand(
    action(memberIdOption(admin('uninstall', 'remove the app: tokens revoked, ONAPPUNINSTALL sent')).option('--clean', 'the administrator chose to delete the app data'), (_a, o) => ['POST', `/admin/portals/${encodeURIComponent(o.memberId!)}/uninstall`, { clean: Boolean(o.clean) }], (a: { deliveries: never[] }) => `Uninstalled.\n${deliveries(a.deliveries)}`),
  );
  command.addCommand(
    action(memberIdOption(admin('expire-token', "make the portal's access tokens expire now")), (_a, o) => ['POST', `/admin/portals/${encodeURIComponent(o.memberId!)}/expire-tokens`], (a: { expired: number }) => `${a.expired} access token(s) expired.`),
  );
  command.addCommand(
    action(memberIdOption(admin('revoke-token', "revoke the portal's access and refresh tokens")), (_a, o) => ['POST', `/admin/portals/${encodeURIComponent(o.memberId!)}/revoke-tokens`], () => 'Tokens revoked.'),
  );
  command.addCommand(
    action(admin('requests', 'list requests waiting for the administrator'), () => ['GET', '/admin/requests'], (a: { id: number; memberId: string; method: string; tokenFingerprint: string }[]) =>
      a.length ? a.map((r) => `#${r.id}  ${r.method}  member_id ${r.memberId}  token ${r.tokenFingerprint}`).join('\n') : 'No request is waiting.',
    ),
  );
  command.addCommand(
    action(admin('portals', 'list portals and their bound events'), () => ['GET', '/admin/portals'], (a: { memberId: string; domain: string; status: string; bindings: { event: string }[] }[]) =>
      a.length ? a.map((p) => `${p.memberId}  ${p.domain}  ${p.status}  bound: ${p.bindings.map((b) => b.event).join(', ') || '-'}`).join('\n') : 'No portal yet.',
    ),
  );
  for (const verdict of ['allow', 'deny'] as const) {
    command.addCommand(
      action(admin(verdict, `${verdict} a waiting request: sends ONAPPMETHODCONFIRM`).argument('<id>', 'request number (see "emulator requests")'), (args) => ['POST', `/admin/requests/${encodeURIComponent(args[0]!)}/${verdict}`], (a: { request: { id: number; method: string; state: string }; deliveries: never[] }) =>
        `Request #${a.request.id} (${a.request.method}) ${a.request.state}.\n${deliveries(a.deliveries)}`,
      ),
    );
  }
  return command;
}
