/**
 * `b24-events installations`: the portals this app is installed on; `installations add` registers one by hand;
 * `installations set-plan` sets a portal's request limit (docs/protocol.md#77-limits).
 */
import { Command, Option } from 'commander';
import type { InstallationView } from '../core/views.js';
import { formatRateLimit, RATE_PLANS, type RatePlan } from '../protocol/index.js';
import { openApp, rateLimitArgument, UsageError, withDb, withJson, type DbOptions } from './common.js';
import { print } from './output.js';

export function installationsCommand(): Command {
  return withJson(
    withDb(
      new Command('installations')
        .enablePositionalOptions()
        .description('list installations; "installations add" registers one by hand'),
    ),
  )
    .action(async (options: DbOptions & { json: boolean }) =>
      openApp(options, async (app) => {
        const installations = await app.installations.list();
        print<InstallationView>(
          installations,
          options.json,
          [
            ['MEMBER ID', (i) => i.memberId],
            ['DOMAIN', (i) => i.domain],
            ['STATUS', (i) => i.status],
            ['VERSION', (i) => i.version],
            ['OAUTH SERVER', (i) => (i.oauthServer ? new URL(i.oauthServer).host : '-')],
            ['RATE LIMIT', rateLimitCell],
            ['APP TOKEN', (i) => i.applicationTokenFingerprint],
            ['INSTALLED AT', (i) => i.installedAt],
            ['TOKENS REFRESHED AT', (i) => i.tokensRefreshedAt],
          ],
          'No installations.',
        );
        const lost = installations.filter((i) => i.status === 'needs_reinstall');
        if (!options.json && lost.length > 0)
          process.stdout.write(
            `\n${lost.length} installation(s) need reinstalling: the OAuth server refused their refresh token (${lost.map((i) => `${i.memberId}: ${i.refreshError ?? 'refused'}`).join('; ')}). Until an administrator of the portal installs the app again, calls to it fail.\n`,
          );
      }),
    )
    .addCommand(addCommand())
    .addCommand(setPlanCommand());
}

const rateLimitCell = (i: InstallationView) =>
  i.rateLimit ? `${formatRateLimit(i.rateLimit)}${i.plan === 'custom' ? '' : ` (${i.plan})`}` : 'default';

interface SetPlanOptions extends DbOptions {
  plan?: string;
  rate?: string;
}

function setPlanCommand(): Command {
  const plans = [...Object.keys(RATE_PLANS), 'default'];
  return withDb(
    new Command('set-plan')
      .description("set the portal's request limit: its Bitrix24 plan, or a rate of its own")
      .argument('<member-id>', "the portal's member_id")
      .addOption(
        new Option(
          '--plan <plan>',
          "enterprise (5/250), standard (2/50), or default (the app's rest.rateLimit)",
        ).choices(plans),
      )
      .addOption(new Option('--rate <rate/burst>', 'requests per second / burst, like 5/250').conflicts('plan')),
  ).action(async (memberId: string, options: SetPlanOptions) => {
    if (!options.plan && !options.rate) throw new UsageError('set-plan needs --plan PLAN or --rate PER_SECOND/BURST.');
    const limit = options.rate
      ? rateLimitArgument('--rate', options.rate)
      : options.plan === 'default'
        ? null
        : RATE_PLANS[options.plan as RatePlan];
    await openApp(options, async (app) => {
      const installation = await app.installations.setRateLimit(memberId, limit);
      process.stdout.write(`Installation ${installation.memberId}: rate limit ${rateLimitCell(installation)}.\n`);
    });
  });
}

interface AddOptions extends DbOptions {
  memberId: string;
  domain: string;
  applicationToken: string;
  clientEndpoint?: string;
}

function addCommand(): Command {
  return withDb(
    new Command('add')
      .description('register an installation by hand, for apps whose install flow lives elsewhere')
      .requiredOption('--member-id <id>', "the portal's member_id")
      .requiredOption('--domain <host>', "the portal's domain, e.g. portal.bitrix24.com")
      .addOption(
        new Option('--application-token <token>', 'the application_token Bitrix24 sent with ONAPPINSTALL')
          .env('B24_APPLICATION_TOKEN')
          .makeOptionMandatory(),
      )
      .option('--client-endpoint <url>', 'REST endpoint (default https://DOMAIN/rest/)'),
  ).action(async (options: AddOptions) =>
    openApp(options, async (app) => {
      const installation = await app.installations.add(options);
      process.stdout.write(
        `Installation ${installation.memberId} (${installation.domain}) is active; application token fingerprint ${installation.applicationTokenFingerprint}.\n`,
      );
    }),
  );
}
