/** The public API of b24-events. */
export { createApp, DEFAULT_DATABASE, DEFAULT_MAX_BODY_BYTES } from './app/create-app.js';
export type { AppOptions, B24App, EventName, InboxApi, PruneOptions, RetentionApi } from './app/create-app.js';
export type { CallsApi, InstallationsApi } from './app/state-api.js';
export type { Readiness } from './app/readiness.js';
export { replayFailedEvents, retryFailedCalls } from './app/bulk.js';
export { dashboard, type DashboardOptions } from './server/dashboard/plugin.js';
export type { BindResult } from './core/binding.js';
export type { OfflineApi } from './app/offline.js';
export type { Delivery, OfflineSettings, RestBudget } from './core/offline-settings.js';
export type { CallOptions, CallOutcome, PortalClient } from './core/portal-client.js';
export type { ResumeContext, ResumeHandler, ResumeOutcome } from './core/continuation-task.js';
export type { ParkedCallSettings } from './core/parked-call-settings.js';
export { PortalUnavailableError } from './core/portal-unavailable.js';
export type { TokenKeepAliveSettings } from './core/token-keepalive-task.js';
export type { RetentionSettings } from './core/retention.js';
export type { PruneCounts } from './store/retention.js';
export type { BatchAnswer, BatchCommand, RestSettings } from './rest/client.js';
export {
  AccessDenied,
  ExpiredToken,
  InsufficientScope,
  InvalidToken,
  MethodConfirmDenied,
  MethodConfirmWaiting,
  MethodNotFound,
  OperationTimeLimit,
  Overloaded,
  QueryLimitExceeded,
  RestError,
  RestUnreachable,
} from './rest/errors.js';
export { ConfigurationError, DEFAULT_OAUTH_SERVERS, OAuthError, UnknownOAuthServerError } from './rest/oauth.js';
export type { EventHandler, HandlerContext, InboxWorkerSettings } from './core/inbox-task.js';
export type { ManualInstallation } from './core/installations.js';
export type {
  InboxEntry,
  InstallationView,
  OfflineStatus,
  ParkedCall,
  Permission,
  PermissionStatus,
} from './core/views.js';
export type { IncomingBody, Receipt } from './core/receiver.js';
export { EventNotVerifiedError } from './core/proof-of-origin.js';
export { VerificationBusyError } from './core/verification-budget.js';
export { createLogger, type LoggerSettings } from './core/logger.js';
export type { Handle, HandleRequest, HandleResponse } from './http/handle.js';
export {
  B24EventsError,
  ForbiddenKeyError,
  InvalidEventError,
  MalformedBodyError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  decodeBody,
  eventSchemas,
  fingerprint,
  httpBuildQuery,
  knownEventNames,
  rawEventSchemas,
} from './protocol/index.js';
export type { B24Event, FieldIssue, KnownEventName, RawEvent } from './protocol/index.js';
export { sqliteStore } from './store/sqlite.js';
export { postgresStore } from './store/postgres.js';
export { openStore } from './store/open.js';
export type { Store } from './store/schema.js';
