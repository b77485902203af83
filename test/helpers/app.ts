/** A test app on a fresh SQLite file, with fast retries, and helpers to post bodies the way Bitrix24 does. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type AppOptions, type B24App } from '../../src/index.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { sqliteStore } from '../../src/store/sqlite.js';

export const FORM = 'application/x-www-form-urlencoded';

export interface TestApp {
  app: B24App;
  dir: string;
  dbPath: string;
  logs: string[];
  post(body: string, contentType?: string): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'b24-events-test-'));
}

/** A logger whose lines (JSON, secrets redacted as in production) are kept in `lines`. */
export function capturedLogger(level = 'debug'): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level, destination }) };
}

export function createTestApp(options: AppOptions = {}): TestApp {
  const dir = tempDir();
  const dbPath = join(dir, 'test.sqlite');
  const { lines: logs, logger } = capturedLogger();
  const app = createApp({
    store: sqliteStore(dbPath),
    logger,
    oauthUrl: 'http://127.0.0.1:9',
    ...options,
    inbox: { retryDelayMs: 20, maxRetryDelayMs: 50, pollMs: 250, ...options.inbox },
  });
  return {
    app,
    dir,
    dbPath,
    logs,
    async post(body, contentType = FORM) {
      const answer = await app.handle({
        method: 'POST',
        headers: { 'content-type': contentType },
        body: Buffer.from(body),
      });
      return { status: answer.status, json: JSON.parse(answer.body) as Record<string, unknown> };
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` returns a truthy value, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  ms = 5000,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
