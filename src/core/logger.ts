/** pino, with every secret key of protocol/secrets.ts redacted wherever it appears in a log line. */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { REDACTED, SECRET_KEYS, redact } from '../protocol/index.js';

export type { Logger } from 'pino';

const redactPaths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export interface LoggerSettings {
  level?: string;
  /** Human-readable lines (pino-pretty) instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name: 'b24-events',
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    // An `auth` object (the event's block) keeps its non-secret fields; an `auth` string (a REST parameter) is a token.
    redact: {
      paths: redactPaths,
      censor: (value) => (value !== null && typeof value === 'object' ? redact(value) : REDACTED),
    },
  };
  if (settings.destination) return pino(options, settings.destination as pino.DestinationStream);
  const pretty = settings.pretty ?? Boolean(process.stdout.isTTY);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
