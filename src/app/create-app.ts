/** `createApp()`: the public API. Wires the receiver, the workers, the REST client and the adapters around one store. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { B24Event } from '../protocol/index.js';
import { bindEvents, rebindAfterInstall, type BindResult } from '../core/binding.js';
import { ContinuationTask, type ResumeHandler } from '../core/continuation-task.js';
import { defaultInboxSettings, InboxTask, type EventHandler, type InboxWorkerSettings } from '../core/inbox-task.js';
import { createLogger, type Logger, type LoggerSettings } from '../core/logger.js';
import { defaultParkedCallSettings, type ParkedCallSettings } from '../core/parked-call-settings.js';
import { ReplayTask } from '../core/replay-task.js';
import { Runner } from '../core/runner.js';
import { portalClient, type PortalClient } from '../core/portal-client.js';
import { Receiver, type IncomingBody, type Receipt } from '../core/receiver.js';
import { InstallationTokens } from '../core/tokens.js';
import {
  defaultTokenKeepAliveSettings,
  refreshEveryDays,
  TokenKeepAliveTask,
  type TokenKeepAliveSettings,
} from '../core/token-keepalive-task.js';
import { TokenRefresher } from '../core/token-refresh.js';
import { PeriodicTask } from '../core/periodic-task.js';
import {
  countPrunable,
  defaultRetentionSettings,
  prune,
  retentionCutoff,
  retentionDays,
  retentionJob,
  type RetentionSettings,
} from '../core/retention.js';
import type { PruneCounts } from '../store/retention.js';
import { storeLimits } from '../core/rest-limits.js';
import type { InboxEntry, Permission } from '../core/views.js';
import { RestClient, type RestSettings } from '../rest/client.js';
import { credentialsFrom, parseOAuthServers } from '../rest/oauth.js';
import { OriginProver } from '../core/proof-of-origin.js';
import { defaultVerificationLimits, type VerificationLimits } from '../core/verification-budget.js';
import type { InboxQuery } from '../store/inbox.js';
import { requeueInboxEvent } from '../store/inbox.js';
import type { Store } from '../store/schema.js';
import { sqliteStore } from '../store/sqlite.js';
import { createHandle, type Handle } from '../http/handle.js';
import type { InstallPageOptions } from '../http/install-page.js';
import { fetchAdapter } from '../http/fetch.js';
import { nodeAdapter } from '../http/node.js';
import { fastifyPlugin, type FastifyPluginOptions } from '../http/fastify.js';
import { createMetrics } from './metrics.js';
import { timedHandle, timedHandler } from './observe.js';
import { checkReadiness, type Readiness } from './readiness.js';
import { retryFailedCall } from '../store/retry.js';
import { receiverLog } from './refusal-log.js';
import { offlineWiring, type OfflineApi } from './offline.js';
import type { Delivery, OfflineSettings, RestBudget } from '../core/offline-settings.js';
import { stateApi, type CallsApi, type InstallationsApi } from './state-api.js';

export const DEFAULT_DATABASE = './data/b24-events.sqlite';
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface AppOptions {
  /** The app's OAuth credentials; needed to verify ONAPPINSTALL and refresh tokens. Default: B24_CLIENT_ID / B24_CLIENT_SECRET. */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /**
   * The OAuth servers portals may name in `server_endpoint`, one per region; a portal's tokens are refreshed at the
   * one whose origin its server_endpoint has. A list or a comma-separated string. Default: B24_OAUTH_URL, else
   * https://oauth.bitrix.info and https://oauth.bitrix24.tech. A bad list throws a ConfigurationError here.
   */
  oauthUrl?: string | readonly string[] | undefined;
  /** The page the installer frame of an app with a UI gets (its BX24 script URL, default B24_JS_URL; your content). */
  installPage?: InstallPageOptions;
  /** Bounds on OAuth requests made to prove installs (a flood of forged ones stays cheap). */
  verification?: Partial<VerificationLimits>;
  /** Default: the SQLite file ./data/b24-events.sqlite. */
  store?: Store;
  /** Where Bitrix24 reaches this app: events are bound to PUBLIC_URL/bitrix24/events after install. Default: PUBLIC_URL. */
  publicUrl?: string | undefined;
  /** Largest accepted body. Default 64 KiB. */
  maxBodyBytes?: number;
  logger?: Logger | LoggerSettings;
  inbox?: Partial<InboxWorkerSettings>;
  parkedCalls?: Partial<ParkedCallSettings>;
  rest?: Partial<RestSettings>;
  /**
   * The token keep-alive: every installation whose tokens came from the OAuth server more than `refreshEveryDays`
   * ago (default B24_TOKENS_REFRESH_EVERY_DAYS, else 30; below 180, the refresh token's life) is refreshed, so a quiet
   * portal never loses access. Runs with the workers when the app has OAuth credentials.
   */
  tokens?: Partial<TokenKeepAliveSettings>;
  /**
   * Finished inbox events and ended parked calls older than `days` (default B24_RETENTION_DAYS, else 30; 0 keeps
   * everything) are deleted by a background job every `everyMs` (1 hour); failed ones are kept.
   */
  retention?: Partial<RetentionSettings>;
  /** Milliseconds now for the token keep-alive (the age of a pair) and retention. Default Date.now; tests move it. */
  clock?: () => number;
  /** Run the handler, parked-call and token keep-alive workers in this process. Default true. */
  workers?: boolean;
  /**
   * How business events reach the app: `safety-net` (default) binds them online and offline and reconciles the
   * offline queue, so an event sent while the app was away is not lost; `pull` binds them offline only and polls
   * (no public URL needed after install); `online` binds them online only.
   */
  delivery?: Delivery;
  /** The offline reconciler: its share of the REST budget, timer, batch size, source key (`auth_connector`). */
  offline?: Partial<OfflineSettings>;
  /** Where a REST budget shared across instances plugs in; default: `offline.budgetShare` of `rest.rateLimit` here. */
  offlineBudget?: RestBudget;
}

/** Event names as Bitrix24 spells them (`ONAPPINSTALL`, `onCrmDealAdd`); matching ignores case. */
export type EventName = `${'ON' | 'On' | 'on'}${string}`;

export interface InboxApi {
  list(query?: InboxQuery): Promise<InboxEntry[]>;
  /** Runs a finished or failed event's handlers again. False when there is no such event or it is still pending. */
  replay(id: number): Promise<boolean>;
}

export interface PruneOptions {
  /** Delete what finished before this time. Default: the retention period before now. */
  before?: Date;
  /** Failed events and calls too. Default false: they are kept until replayed. */
  includeFailed?: boolean;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
}

export interface RetentionApi {
  /** Days finished entries are kept (0: forever). */
  readonly days: number;
  /** Deletes (or, with dryRun, counts) finished entries now, in batches; how many events and calls. */
  prune(options?: PruneOptions): Promise<PruneCounts>;
}

export interface B24App {
  on<N extends EventName>(name: N, handler: EventHandler<B24Event<Uppercase<N>>>): B24App;
  /** Registers what runs when a call parked with `whenWaiting: { park: name }` finishes. */
  resume<R = unknown>(name: string, handler: ResumeHandler<R>): B24App;
  /** REST calls to one portal, with its stored tokens. */
  rest(memberId: string): PortalClient;
  /** Binds this app's events on a portal to PUBLIC_URL/bitrix24/events. */
  bind(memberId: string): Promise<BindResult[]>;
  receive(incoming: IncomingBody): Promise<Receipt>;
  handle: Handle;
  fetch(request: Request): Promise<Response>;
  node(req: IncomingMessage, res: ServerResponse): Promise<void>;
  fastify: FastifyPluginAsync<FastifyPluginOptions>;
  installations: InstallationsApi;
  permissions(memberId?: string): Promise<Permission[]>;
  calls: CallsApi;
  inbox: InboxApi;
  retention: RetentionApi;
  /** The offline queue's reconciliation per portal, and the source key for the app's own writes. */
  offline: OfflineApi;
  /** What /readyz answers: the store reachable, migrations applied, workers running. */
  readiness(): Promise<Readiness>;
  metrics: ReturnType<typeof createMetrics>['registry'];
  log: Logger;
  store: Store;
  /** Creates the schema and starts the workers; the adapters call it for you. */
  ready(): Promise<void>;
  /** Stops the workers (waiting for running handlers) and closes the store. */
  close(): Promise<void>;
}

const isLogger = (value: AppOptions['logger']): value is Logger =>
  typeof (value as Logger | undefined)?.child === 'function';

export function createApp(options: AppOptions = {}): B24App {
  const store = options.store ?? sqliteStore(DEFAULT_DATABASE);
  const log = isLogger(options.logger) ? options.logger : createLogger(options.logger);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const publicUrl = options.publicUrl ?? process.env.PUBLIC_URL;
  const oauth = {
    servers: parseOAuthServers(options.oauthUrl ?? process.env.B24_OAUTH_URL),
    clientId: options.clientId ?? process.env.B24_CLIENT_ID,
    clientSecret: options.clientSecret ?? process.env.B24_CLIENT_SECRET,
  };
  const prover = new OriginProver(oauth, { ...defaultVerificationLimits, ...options.verification });
  const installPage: InstallPageOptions = { scriptUrl: process.env.B24_JS_URL || undefined, ...options.installPage };
  const metrics = createMetrics(store);
  const handlers = new Map<string, EventHandler[]>();
  const resumers = new Map<string, ResumeHandler>();
  const keepAlive: TokenKeepAliveSettings = {
    ...defaultTokenKeepAliveSettings,
    ...options.tokens,
    refreshEveryDays: refreshEveryDays(options.tokens?.refreshEveryDays ?? process.env.B24_TOKENS_REFRESH_EVERY_DAYS),
  };
  const clock = options.clock ?? Date.now;
  const refresher = new TokenRefresher(store, oauth, log, clock, metrics.countRefresh);
  const rest = new RestClient(
    new InstallationTokens(store, refresher),
    storeLimits(store),
    options.rest,
    metrics.observeRest,
  );

  const delivery = options.delivery ?? 'safety-net';
  const offline = offlineWiring({
    store,
    rest,
    delivery,
    settings: options.offline,
    budget: options.offlineBudget,
    registered: () => handlers.keys(),
    log,
    observe: metrics.countReconciliation,
    ready: () => ready(),
    wake: () => runner.wake('offline'),
  });
  const bind = async (memberId: string) => {
    if (!publicUrl && delivery !== 'pull')
      throw new Error('PUBLIC_URL (or the publicUrl option) is not set, so there is no address to bind events to.');
    return bindEvents(rest, store, memberId, offline.plan(publicUrl), handlers.keys());
  };
  const rebind = rebindAfterInstall(store, publicUrl || delivery === 'pull' ? bind : undefined);
  const builtIn: Record<string, EventHandler[]> = { ONAPPINSTALL: [rebind], ONAPPUPDATE: [rebind] };

  // One runner for all leased work; each kind of work is a task on it.
  const parkedCallSettings = { ...defaultParkedCallSettings, ...options.parkedCalls };
  const runner = new Runner(store, log)
    .add(
      new InboxTask(
        store,
        (event) => [...(builtIn[event] ?? []), ...(handlers.get(event) ?? [])],
        { ...defaultInboxSettings, ...options.inbox },
        (outcome) => metrics.countHandled(outcome),
      ),
    )
    .add(new ReplayTask(store, rest, parkedCallSettings, log, () => runner.wake('continuations')))
    .add(new ContinuationTask(store, (name) => resumers.get(name), parkedCallSettings));
  const retention: RetentionSettings = {
    ...defaultRetentionSettings,
    ...options.retention,
    days: retentionDays(options.retention?.days ?? process.env.B24_RETENTION_DAYS),
  };
  if (retention.days > 0)
    runner.add(new PeriodicTask(store, retentionJob(store, retention, metrics.countPruned, clock), clock));
  // Without credentials no token can be refreshed (the server says so at start).
  if (credentialsFrom(oauth)) runner.add(new TokenKeepAliveTask(store, refresher, keepAlive, clock));
  if (offline.enabled) runner.add(offline.task);
  const wakeWorkers = () => runner.wake();
  let started: Promise<void> | undefined;
  let closed: Promise<void> | undefined;
  let workersStarted = false;
  // A database that is away at the first request fails this once; the next request tries again.
  const ready = () =>
    (started ??= store
      .migrate()
      .then(async () => {
        if (options.workers === false || workersStarted) return;
        workersStarted = true;
        runner.start();
        await store.onWork(wakeWorkers);
        await offline.catchUp();
      })
      .catch((error: unknown) => {
        started = undefined;
        throw error;
      }));

  const { observe, failed } = receiverLog(log, metrics);
  const receiver = new Receiver({
    store,
    maxBodyBytes,
    prover,
    observe,
    // A new event is work for the inbox; a decision may also have made parked calls ready for their replay.
    onStored: (receipt) => {
      runner.wake('inbox');
      if (receipt.event === 'ONAPPMETHODCONFIRM') runner.wake('replays');
    },
  });
  const receive = async (incoming: IncomingBody) => {
    await ready();
    return receiver.receive(incoming);
  };
  const receivers = {
    event: receive,
    installerFrame: async (incoming: IncomingBody, query: URLSearchParams) => {
      await ready();
      return receiver.receiveInstallerFrame(incoming, query);
    },
  };
  const handle = timedHandle(createHandle(receivers, failed, installPage), metrics.observeIngest);
  const read = stateApi(store, ready);

  const app: B24App = {
    on(name, handler) {
      const key = name.toUpperCase();
      handlers.set(key, [
        ...(handlers.get(key) ?? []),
        timedHandler(key, handler as EventHandler, metrics.observeHandler),
      ]);
      return app;
    },
    resume(name, handler) {
      resumers.set(name, handler as ResumeHandler);
      return app;
    },
    rest: (memberId) => portalClient(store, rest, memberId, () => runner.wake('replays'), ready),
    bind: async (memberId) => (await ready(), bind(memberId)),
    receive,
    handle,
    fetch: fetchAdapter(handle, maxBodyBytes),
    node: nodeAdapter(handle, maxBodyBytes),
    fastify: fastifyPlugin(handle, maxBodyBytes),
    installations: read.installations,
    permissions: read.permissions,
    calls: {
      ...read.calls,
      retry: async (id) => {
        await ready();
        const retried = await retryFailedCall(store.db, id, new Date().toISOString());
        if (retried) runner.wake('replays');
        return retried;
      },
    },
    inbox: {
      list: read.inbox.list,
      replay: async (id) => {
        await ready();
        const requeued = await requeueInboxEvent(store.db, id, new Date().toISOString());
        if (requeued) runner.wake('inbox');
        return requeued;
      },
    },
    retention: {
      days: retention.days,
      prune: async ({ before, includeFailed = false, dryRun = false } = {}) => {
        await ready();
        const scope = { before: before?.toISOString() ?? retentionCutoff(retention.days, clock()), includeFailed };
        if (dryRun) return countPrunable(store.db, scope);
        const pruned = await prune(store, scope, retention.batchSize);
        metrics.countPruned(pruned);
        return pruned;
      },
    },
    offline: offline.api,
    readiness: () =>
      checkReadiness(store, ready, () =>
        options.workers === false ? 'off' : closed ? 'stopped' : workersStarted ? 'running' : 'not started',
      ),
    metrics: metrics.registry,
    log,
    store,
    ready,
    close: () => (closed ??= runner.close().then(() => store.close())),
  };
  return app;
}
