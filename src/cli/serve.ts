/** `b24-events serve`: the ready server on the chosen database. */
import { Command, Option } from 'commander';
import { createApp } from '../app/create-app.js';
import { createServer } from '../server/server.js';
import { openStore } from '../store/open.js';
import { wholeNumber, withDb, type DbOptions } from './common.js';

interface ServeOptions extends DbOptions {
  port: number;
  host: string;
}

export function serveCommand(): Command {
  return withDb(
    new Command('serve')
      .description('serve POST /bitrix24/events and /bitrix24/install, /health and /metrics')
      .addOption(new Option('--port <n>', 'port to listen on').env('PORT').default(3000).argParser(wholeNumber('--port', 0)))
      .addOption(new Option('--host <host>', 'address to listen on').env('HOST').default('127.0.0.1')),
  ).action(async (options: ServeOptions) => {
    const app = createApp({ store: openStore(options.db), publicUrl: process.env.PUBLIC_URL });
    const server = await createServer(app);
    const address = await server.listen({ port: options.port, host: options.host });
    app.log.info({ address, db: options.db }, 'b24-events is serving');
    const stop = async (signal: string) => {
      app.log.info({ signal }, 'b24-events is stopping');
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}
