/** The public API of b24-events. */
export { createApp, DEFAULT_DATABASE, DEFAULT_MAX_BODY_BYTES } from './app/create-app.js';
export type { AppOptions, B24App, EventName, InboxApi, InstallationsApi } from './app/create-app.js';
export type { EventHandler, HandlerContext, InboxWorkerSettings } from './core/inbox-worker.js';
export type { ManualInstallation } from './core/installations.js';
export type { InboxEntry, InstallationView, Permission } from './core/views.js';
export type { IncomingBody, Receipt } from './core/receiver.js';
export { EventNotVerifiedError } from './core/verify.js';
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
export type { Store } from './store/schema.js';
