/** `b24-events installations`: the portals this app is installed on; `installations add` registers one by hand. */
import { Command, Option } from 'commander';
import type { InstallationView } from '../core/views.js';
import { openApp, withDb, withJson, type DbOptions } from './common.js';
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
    .addCommand(addCommand());
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
