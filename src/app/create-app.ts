/** `createApp()`: the public API. Wires the receiver, the inbox workers and the adapters around one store. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { B24Event } from '../protocol/index.js';
import { defaultInboxSettings, InboxWorker, type EventHandler, type InboxWorkerSettings } from '../core/inbox-worker.js';
import { registerInstallation, type ManualInstallation } from '../core/installations.js';
import { createLogger, type Logger, type LoggerSettings } from '../core/logger.js';
import { Receiver, type IncomingBody, type Receipt, type ReceiveOutcome } from '../core/receiver.js';
import { inboxEntryView, installationView, permissionView, type InboxEntry, type InstallationView, type Permission } from '../core/views.js';
import { DEFAULT_OAUTH_URL } from '../rest/oauth.js';
import { listInboxEvents, requeueInboxEvent, type InboxQuery } from '../store/inbox.js';
import { getInstallation, listInstallations } from '../store/installations.js';
import { listPermissions } from '../store/permissions.js';
import type { Store } from '../store/schema.js';
import { sqliteStore } from '../store/sqlite.js';
import { createHandle, type Handle } from '../http/handle.js';
import { fetchAdapter } from '../http/fetch.js';
import { nodeAdapter } from '../http/node.js';
import { fastifyPlugin, type FastifyPluginOptions } from '../http/fastify.js';
import { createMetrics } from './metrics.js';

export const DEFAULT_DATABASE = './data/b24-events.sqlite';
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface AppOptions {
  /** The app's OAuth credentials; needed to verify ONAPPINSTALL. Default: B24_CLIENT_ID / B24_CLIENT_SECRET. */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** The OAuth server. Default: B24_OAUTH_URL or https://oauth.bitrix.info. */
  oauthUrl?: string | undefined;
  /** Default: the SQLite file ./data/b24-events.sqlite. */
  store?: Store;
  /** Where Bitrix24 reaches this app's handlers. */
  publicUrl?: string | undefined;
  /** Largest accepted body. Default 64 KiB. */
  maxBodyBytes?: number;
  logger?: Logger | LoggerSettings;
  inbox?: Partial<InboxWorkerSettings>;
  /** Run the handlers' workers in this process. Default true. */
  workers?: boolean;
}

/** Event names as Bitrix24 spells them (`ONAPPINSTALL`, `onCrmDealAdd`); matching ignores case. */
export type EventName = `${'ON' | 'On' | 'on'}${string}`;

export interface InboxApi {
  list(query?: InboxQuery): Promise<InboxEntry[]>;
  /** Runs a finished or failed event's handlers again. False when there is no such event or it is still pending. */
  replay(id: number): Promise<boolean>;
}

export interface InstallationsApi {
  list(): Promise<InstallationView[]>;
  get(memberId: string): Promise<InstallationView | undefined>;
  add(installation: ManualInstallation): Promise<InstallationView>;
}

export interface B24App {
  on<N extends EventName>(name: N, handler: EventHandler<B24Event<Uppercase<N>>>): B24App;
  receive(incoming: IncomingBody): Promise<Receipt>;
  handle: Handle;
  fetch(request: Request): Promise<Response>;
  node(req: IncomingMessage, res: ServerResponse): Promise<void>;
  fastify: FastifyPluginAsync<FastifyPluginOptions>;
  installations: InstallationsApi;
  permissions(memberId?: string): Promise<Permission[]>;
  inbox: InboxApi;
  metrics: ReturnType<typeof createMetrics>['registry'];
  log: Logger;
  store: Store;
  /** Creates the schema and starts the workers; the adapters call it for you. */
  ready(): Promise<void>;
  /** Stops the workers (waiting for running handlers) and closes the store. */
  close(): Promise<void>;
}

const isLogger = (value: AppOptions['logger']): value is Logger => typeof (value as Logger | undefined)?.child === 'function';

export function createApp(options: AppOptions = {}): B24App {
  const store = options.store ?? sqliteStore(DEFAULT_DATABASE);
  const log = isLogger(options.logger) ? options.logger : createLogger(options.logger);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const metrics = createMetrics();
  const handlers = new Map<string, EventHandler[]>();
  const worker = new InboxWorker(
    store,
    (event) => handlers.get(event) ?? [],
    { ...defaultInboxSettings, ...options.inbox },
    log,
    (outcome) => metrics.countHandled(outcome),
  );

  let started: Promise<void> | undefined;
  let closed: Promise<void> | undefined;
  const ready = () =>
    (started ??= store.migrate().then(() => {
      if (options.workers !== false) worker.start();
    }));

  const observe = (outcome: ReceiveOutcome) => {
    metrics.countReceived(outcome);
    if (outcome.ok) {
      log.info({ inboxId: outcome.receipt.inboxId, event: outcome.receipt.event, memberId: outcome.receipt.memberId, duplicate: outcome.receipt.duplicate }, 'event stored');
    } else {
      log.warn({ event: outcome.event, memberId: outcome.memberId, error: outcome.error.code, reason: outcome.error.message }, 'event refused');
    }
  };
  const receiver = new Receiver({
    store,
    maxBodyBytes,
    oauth: {
      oauthUrl: options.oauthUrl ?? process.env.B24_OAUTH_URL ?? DEFAULT_OAUTH_URL,
      clientId: options.clientId ?? process.env.B24_CLIENT_ID,
      clientSecret: options.clientSecret ?? process.env.B24_CLIENT_SECRET,
    },
    observe,
    onStored: () => worker.wake(),
  });
  const receive = async (incoming: IncomingBody) => {
    await ready();
    return receiver.receive(incoming);
  };
  const handle = createHandle(receive, (error) => log.error({ err: error }, 'event could not be stored'));

  const app: B24App = {
    on(name, handler) {
      const key = name.toUpperCase();
      handlers.set(key, [...(handlers.get(key) ?? []), handler as EventHandler]);
      return app;
    },
    receive,
    handle,
    fetch: fetchAdapter(handle, maxBodyBytes),
    node: nodeAdapter(handle, maxBodyBytes),
    fastify: fastifyPlugin(handle, maxBodyBytes),
    installations: {
      list: async () => (await ready(), (await listInstallations(store.db)).map(installationView)),
      get: async (memberId) => {
        await ready();
        const row = await getInstallation(store.db, memberId);
        return row && installationView(row);
      },
      add: async (input) => {
        await ready();
        await registerInstallation(store.db, input);
        return installationView((await getInstallation(store.db, input.memberId))!);
      },
    },
    permissions: async (memberId) => (await ready(), (await listPermissions(store.db, memberId)).map(permissionView)),
    inbox: {
      list: async (query) => (await ready(), (await listInboxEvents(store.db, query)).map(inboxEntryView)),
      replay: async (id) => {
        await ready();
        const requeued = await requeueInboxEvent(store.db, id, new Date().toISOString());
        if (requeued) worker.wake();
        return requeued;
      },
    },
    metrics: metrics.registry,
    log,
    store,
    ready,
    close: () => (closed ??= worker.close().then(() => store.close())),
  };
  return app;
}
