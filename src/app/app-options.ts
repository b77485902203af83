/** What `createApp()` takes: every option, its default and the environment variable it falls back to. */
import type { InboxWorkerSettings } from '../core/inbox-task.js';
import type { Logger, LoggerSettings } from '../core/logger.js';
import type { Delivery, OfflineSettings, RestBudget } from '../core/offline-settings.js';
import type { ParkedCallSettings } from '../core/parked-call-settings.js';
import type { RetentionSettings } from '../core/retention.js';
import type { TokenKeepAliveSettings } from '../core/token-keepalive-task.js';
import type { VerificationLimits } from '../core/verification-budget.js';
import type { InstallPageOptions } from '../http/install-page.js';
import type { RestSettings } from '../rest/client.js';
import type { Store } from '../store/schema.js';

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
