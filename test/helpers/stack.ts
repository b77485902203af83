/**
 * The whole flow on 127.0.0.1: the emulator (a fake portal) and an app server, with the app installed on the portal
 * the way Bitrix24 does it (ONAPPINSTALL to the install URL, verified with the emulator's OAuth server, then
 * event.bind from the app). Tests may swap the app that serves (two workers, a restart).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createApp, type AppOptions, type B24App } from '../../src/index.js';
import { createLogger } from '../../src/core/logger.js';
import { serveEmulator } from '../../src/emulator/http.js';
import {
  Emulator,
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  type EmulatorOptions,
} from '../../src/emulator/portal.js';
import type { Store } from '../../src/store/schema.js';
import { sqliteStore } from '../../src/store/sqlite.js';
import { eventually, tempDir } from './app.js';

export interface Stack {
  emulator: Emulator;
  emulatorUrl: string;
  /** The emulator's HTTP server, for tests that put faults in front of it (test/helpers/faults.ts). */
  emulatorServer: Server;
  appUrl: string;
  dbPath: string;
  app: B24App;
  memberId: string;
  /** A second app on the same database (another instance or a restart); it serves events once `serve(app)`. */
  newApp(options?: AppOptions): B24App;
  serve(app: B24App): void;
  close(): Promise<void>;
}

export const fastWorkers: AppOptions = {
  inbox: { pollMs: 250, retryDelayMs: 20, maxRetryDelayMs: 50 },
  parkedCalls: { pollMs: 250, retryDelayMs: 20, maxRetryDelayMs: 50 },
  rest: { retryDelayMs: 50, rateLimit: { perSecond: 200, burst: 200 } },
};

export interface StackOptions {
  emulator?: EmulatorOptions;
  app?: AppOptions;
  install?: boolean;
  /** A new handle on the stack's database; default: one SQLite file in a temporary folder. */
  openStore?: () => Store;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = new Emulator({ rateLimit: { perSecond: 200, burst: 200 }, ...options.emulator });
  const running = await serveEmulator(emulator);
  let serving: B24App | undefined;
  const server = createServer((req, res) => void serving?.node(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dbPath = join(tempDir(), 'stack.sqlite');
  const apps: B24App[] = [];
  const newApp = (extra: AppOptions = {}) => {
    const app = createApp({
      store: options.openStore?.() ?? sqliteStore(dbPath),
      clientId: EMULATOR_CLIENT_ID,
      clientSecret: EMULATOR_CLIENT_SECRET,
      oauthUrl: running.url,
      publicUrl: appUrl,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      ...fastWorkers,
      ...options.app,
      ...extra,
    });
    apps.push(app);
    return app;
  };
  const app = newApp();
  serving = app;
  await app.ready();
  let memberId = '';
  if (options.install !== false) {
    const { portal, delivery } = await emulator.install(`${appUrl}/bitrix24/install`);
    if (delivery.status !== 200) throw new Error(`ONAPPINSTALL answered ${delivery.status}`);
    memberId = portal.memberId;
    await eventually(() => portal.bindings.length >= 3);
  }
  return {
    emulator,
    emulatorUrl: running.url,
    emulatorServer: running.server,
    appUrl,
    dbPath,
    app,
    memberId,
    newApp,
    serve: (next) => {
      serving = next;
    },
    async close() {
      await Promise.all(apps.map((a) => a.close()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await running.close();
    },
  };
}
