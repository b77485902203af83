/**
 * `b24-events emulator`: a fake Bitrix24 portal on this machine, and the administrator's actions on it
 * (`emulator install`, `emulator allow 1`, ...), which talk to a running emulator over HTTP.
 */
import { Command, Option } from 'commander';
import { serveEmulator } from '../emulator/http.js';
import { Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../emulator/portal.js';
import type { RateLimit } from '../protocol/index.js';
import { rateLimitArgument, UsageError, wholeNumber } from './common.js';
import { adminCommands } from './emulator-admin.js';
import { limitCommands } from './emulator-limits.js';

const rateLimit = (value: string): RateLimit | false =>
  value === 'off' ? false : rateLimitArgument('--rate-limit', value, ' or off');

interface StartOptions {
  port: number;
  eastPort?: number;
  host: string;
  appUrl: string;
  clientId: string;
  clientSecret: string;
  confirmMethod: string[];
  tokenTtl: number;
  refreshTokenTtl: number;
  rateLimit: string;
  methodTime: string[];
  operatingLimit: number;
}

/** `--method-time crm.deal.list=5`: what one run of the method costs of its time limit, in seconds. */
function methodTimes(values: string[]): Record<string, number> {
  return Object.fromEntries(
    values.map((value) => {
      const match = /^([\w.]+)=(\d+(?:\.\d+)?)$/.exec(value);
      if (!match) throw new UsageError(`--method-time must be METHOD=SECONDS (like crm.deal.list=5), not "${value}".`);
      return [match[1]!.toLowerCase(), Number(match[2])];
    }),
  );
}

function start(options: StartOptions) {
  return async () => {
    if (!URL.canParse(options.appUrl)) throw new UsageError(`--app-url "${options.appUrl}" is not a URL.`);
    const limit = rateLimit(options.rateLimit);
    const emulator = new Emulator({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      accessTtlSeconds: options.tokenTtl,
      refreshTtlSeconds: options.refreshTokenTtl * 86_400,
      rateLimit: limit,
      methodTime: methodTimes(options.methodTime),
      operatingLimitSeconds: options.operatingLimit,
      confirmMethods: ['voximplant.user.get', ...options.confirmMethod],
    });
    const eastPort = options.eastPort ?? (options.port === 0 ? 0 : options.port + 1);
    const running = await serveEmulator(emulator, {
      port: options.port,
      eastPort,
      host: options.host,
      appUrl: options.appUrl,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new Error(
          `port ${options.port} or ${eastPort} (the east OAuth server) is in use: choose others with --port and --east-port.`,
        );
      throw error;
    });
    process.stdout.write(
      [
        `Bitrix24 emulator on ${running.url} (notifications page: ${running.url}/, install page: ${running.url}/install)`,
        `East region OAuth server on ${running.eastUrl}`,
        `BX24 library stand-in: ${running.url}/api/v1/`,
        `ONAPPINSTALL goes to ${options.appUrl.replace(/\/+$/, '')}/bitrix24/install`,
        'Point the app at it with:',
        `  B24_OAUTH_URL=${running.url},${running.eastUrl} B24_CLIENT_ID=${options.clientId} B24_CLIENT_SECRET=${options.clientSecret === EMULATOR_CLIENT_SECRET ? EMULATOR_CLIENT_SECRET : '<the --client-secret you gave>'}`,
        `Methods that need confirmation: ${[...emulator.confirmMethods].join(', ')}`,
        '',
      ].join('\n'),
    );
    const stop = () => void running.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  };
}

export function emulatorCommand(): Command {
  const command = new Command('emulator')
    .description(
      'run a fake Bitrix24 portal (OAuth, REST, confirmations, events); subcommands act as its administrator',
    )
    .enablePositionalOptions()
    .option('--port <n>', 'port to listen on', wholeNumber('--port', 0), 3100)
    .option(
      '--east-port <n>',
      'port of the east region OAuth server (default: --port + 1; 0: any free port)',
      wholeNumber('--east-port', 0),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--app-url <url>', 'the app under development', 'http://127.0.0.1:3000')
    .addOption(new Option('--client-id <id>', "the app's client_id").env('B24_CLIENT_ID').default(EMULATOR_CLIENT_ID))
    .addOption(
      new Option('--client-secret <secret>', "the app's client_secret")
        .env('B24_CLIENT_SECRET')
        .default(EMULATOR_CLIENT_SECRET, 'the emulator default'),
    )
    .option(
      '--confirm-method <method>',
      'another method that needs the administrator’s confirmation (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--token-ttl <seconds>', 'access token lifetime', wholeNumber('--token-ttl'), 3600)
    .option(
      '--refresh-token-ttl <days>',
      'refresh token lifetime (a refresh after it answers invalid_grant)',
      wholeNumber('--refresh-token-ttl'),
      180,
    )
    .option('--rate-limit <rate/burst>', 'per-portal request limit, or off', '2/50')
    .option(
      '--method-time <method=seconds>',
      'execution time one run of a method costs against its limit (repeatable; default 0)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      '--operating-limit <seconds>',
      "a method's execution time per 10 minutes before OPERATION_TIME_LIMIT",
      wholeNumber('--operating-limit'),
      480,
    );
  command.action(async (options: StartOptions) => start(options)());

  for (const sub of [...adminCommands(), ...limitCommands()]) command.addCommand(sub);
  return command;
}
