/** `b24-events serve`: the ready server on the chosen database, with your handlers from `--app`. */
import { Command, Option } from 'commander';
import { createApp, type B24App } from '../app/create-app.js';
import { createServer } from '../server/server.js';
import { openStore } from '../store/open.js';
import { wholeNumber, withDb, type DbOptions } from './common.js';
import { loadAppModule } from './load-app.js';

interface ServeOptions extends DbOptions {
  port: number;
  host: string;
  app?: string;
  pull: boolean;
}

/** What a real install needs and the server cannot guess: one warning each, naming the variable, never a value. */
function warnAboutConfiguration(app: B24App, host: string, pull: boolean): void {
  const env = process.env;
  if (!env.B24_CLIENT_ID)
    app.log.warn(
      'B24_CLIENT_ID is not set: installs cannot be verified (ONAPPINSTALL is refused) and tokens cannot be refreshed',
    );
  if (!env.B24_CLIENT_SECRET)
    app.log.warn(
      'B24_CLIENT_SECRET is not set: installs cannot be verified (ONAPPINSTALL is refused) and tokens cannot be refreshed',
    );
  if (!env.PUBLIC_URL && !pull)
    app.log.warn(
      'PUBLIC_URL is not set: events are not bound after install, so the portal sends only the install and uninstall events',
    );
  if (/^(127\.|localhost$|::1$)/.test(host)) {
    app.log.warn(
      { host },
      'HOST is a loopback address: only this machine reaches the server (set HOST=0.0.0.0 in a container or without a local proxy)',
    );
  }
}

export function serveCommand(): Command {
  return withDb(
    new Command('serve')
      .description('serve POST /bitrix24/events and /bitrix24/install, /health and /metrics')
      .addOption(
        new Option('--port <n>', 'port to listen on').env('PORT').default(3000).argParser(wholeNumber('--port', 0)),
      )
      .addOption(new Option('--host <host>', 'address to listen on').env('HOST').default('127.0.0.1'))
      .addOption(
        new Option(
          '--app <module>',
          'a module whose default export (app) => {...} registers app.on and app.resume handlers',
        ).env('B24_APP'),
      )
      .option(
        '--pull',
        'bind business events offline only and poll the queue: no inbound connection after install (behind a firewall, local development)',
        false,
      ),
  ).action(async (options: ServeOptions) => {
    const app = createApp({
      store: openStore(options.db),
      publicUrl: process.env.PUBLIC_URL,
      ...(options.pull ? { delivery: 'pull' as const } : {}),
    });
    try {
      if (options.app) await loadAppModule(options.app, app);
    } catch (error) {
      await app.close();
      throw error;
    }
    warnAboutConfiguration(app, options.host, options.pull);
    const server = await createServer(app);
    const address = await server.listen({ port: options.port, host: options.host });
    app.log.info(
      { address, db: options.db, app: options.app, delivery: options.pull ? 'pull' : 'safety-net' },
      'b24-events is serving',
    );
    // The first signal stops the server and closes the app (running handlers finish); repeats are the same request
    // arriving twice (a terminal's Ctrl-C reaches npm, tsx and the server at once).
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'b24-events is stopping');
      const force = setTimeout(() => {
        app.log.error('b24-events did not stop within 30 s; exiting');
        process.exit(1);
      }, 30_000);
      force.unref();
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'b24-events did not stop cleanly');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
