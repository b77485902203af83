/**
 * How leased work fails and tries again, in one place: full-jitter exponential backoff, a bounded number of attempts,
 * errors as one redacted line, and runs bounded by a timeout and an abort signal.
 */
import { backoffDelay, redactText } from '../protocol/index.js';
import { installationSecrets } from '../store/installations.js';
import type { Store } from '../store/schema.js';

export interface RetryPolicy {
  /** Attempts started before a job ends failed (`attempts` counts attempts started; a claim starts one). */
  maxAttempts: number;
  /** The backoff's ceiling before the second attempt; doubles with each attempt, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
}

export { backoffDelay };

/** What a failed attempt leaves behind: its error, and when (if ever) the job runs again. */
export interface Failure {
  /** The error as one line, the portal's stored secrets cut out: safe to store and log. */
  error: string;
  /** After attempt `attempt` (1, 2, ...) failed: when to run again (ISO time), or undefined when it was the last. */
  retryAt(attempt: number): string | undefined;
  /** The error itself, for a task whose write-back depends on what failed (never to store or log as it is). */
  cause: unknown;
}

/** An error as one line for storage and logs (redact it before either). */
export const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The failure of an attempt on a job of portal `memberId`; `retryable: false` ends the job at once. */
export async function failureOf(
  store: Store,
  policy: RetryPolicy,
  memberId: string,
  error: unknown,
  retryable = true,
): Promise<Failure> {
  const secrets = await installationSecrets(store.db, memberId).catch(() => []);
  return {
    error: redactText(errorText(error), secrets),
    cause: error,
    retryAt: (attempt) =>
      retryable && attempt < policy.maxAttempts
        ? new Date(Date.now() + backoffDelay(attempt, policy.baseMs, policy.maxMs)).toISOString()
        : undefined,
  };
}

/**
 * Runs `work` until it settles or `timeoutMs` passes; its signal is aborted then, or when `stop` is. Either way the
 * answer is a rejection at once: work that ignores its signal is abandoned, not awaited.
 */
export function withTimeout<T>(
  work: (signal: AbortSignal) => T | Promise<T>,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([timeout, stop]);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new Error(timeout.aborted ? `handler ran past ${timeoutMs} ms` : 'the app closed during the handler'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(() => work(signal))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
