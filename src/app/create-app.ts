/** `createApp()`: the public API. Wires the receiver, the workers, the REST client and the adapters around one store. */
import { bindEvents, rebindAfterInstall } from '../core/binding.js';
import { ContinuationTask, type ResumeHandler } from '../core/continuation-task.js';
import { defaultInboxSettings, InboxTask, type EventHandler } from '../core/inbox-task.js';
import { createLogger, type Logger } from '../core/logger.js';
import { defaultParkedCallSettings } from '../core/parked-call-settings.js';
import { ReplayTask } from '../core/replay-task.js';
import { Runner } from '../core/runner.js';
import { portalClient } from '../core/portal-client.js';
import { Receiver, type IncomingBody } from '../core/receiver.js';
import { InstallationTokens } from '../core/tokens.js';
import {
  defaultTokenKeepAliveSettings,
  refreshEveryDays,
  TokenKeepAliveTask,
  type TokenKeepAliveSettings,
} from '../core/token-keepalive-task.js';
import { TokenRefresher } from '../core/token-refresh.js';
import { storeLimits } from '../core/rest-limits.js';
import { RestClient } from '../rest/client.js';
import { credentialsFrom, parseOAuthServers } from '../rest/oauth.js';
import { OriginProver } from '../core/proof-of-origin.js';
import { defaultVerificationLimits } from '../core/verification-budget.js';
import { requeueInboxEvent } from '../store/inbox.js';
import { sqliteStore } from '../store/sqlite.js';
import { createHandle } from '../http/handle.js';
import type { InstallPageOptions } from '../http/install-page.js';
import { fetchAdapter } from '../http/fetch.js';
import { nodeAdapter } from '../http/node.js';
import { fastifyPlugin } from '../http/fastify.js';
import type { B24App } from './app-api.js';
import { DEFAULT_DATABASE, DEFAULT_MAX_BODY_BYTES, type AppOptions } from './app-options.js';
import { createMetrics } from './metrics.js';
import { timedHandle, timedHandler } from './observe.js';
import { checkReadiness } from './readiness.js';
import { retryFailedCall } from '../store/retry.js';
import { receiverLog } from './refusal-log.js';
import { offlineWiring } from './offline.js';
import { retentionWiring } from './retention-api.js';
import { stateApi } from './state-api.js';

export type { B24App, EventName, InboxApi, PruneOptions, RetentionApi } from './app-api.js';
export { DEFAULT_DATABASE, DEFAULT_MAX_BODY_BYTES, type AppOptions } from './app-options.js';

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
  const retention = retentionWiring(store, options.retention, metrics, clock, () => ready());
  if (retention.task) runner.add(retention.task);
  // Without credentials no token can be refreshed (the server says so at start).
  if (credentialsFrom(oauth)) runner.add(new TokenKeepAliveTask(store, refresher, keepAlive, clock));
  if (offline.enabled) runner.add(offline.task);
  /** The tasks named (a commit's work, here or on another instance), or all of them. */
  const wakeWorkers = (tasks?: readonly string[]) => {
    if (!tasks) runner.wake();
    else for (const task of tasks) runner.wake(task);
  };
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
    onStored: wakeWorkers,
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
    retention: retention.api,
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
