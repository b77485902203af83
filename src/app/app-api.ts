/** What `createApp()` answers: the app's public API. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { BindResult } from '../core/binding.js';
import type { ResumeHandler } from '../core/continuation-task.js';
import type { EventHandler } from '../core/inbox-task.js';
import type { Logger } from '../core/logger.js';
import type { PortalClient } from '../core/portal-client.js';
import type { IncomingBody, Receipt } from '../core/receiver.js';
import type { InboxEntry, Permission } from '../core/views.js';
import type { FastifyPluginOptions } from '../http/fastify.js';
import type { Handle } from '../http/handle.js';
import type { B24Event } from '../protocol/index.js';
import type { InboxQuery } from '../store/inbox.js';
import type { PruneCounts } from '../store/retention.js';
import type { Store } from '../store/schema.js';
import type { createMetrics } from './metrics.js';
import type { OfflineApi } from './offline.js';
import type { Readiness } from './readiness.js';
import type { CallsApi, InstallationsApi } from './state-api.js';

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
