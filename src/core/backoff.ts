/** Exponential backoff shared by the workers: base, 2×base, 4×base, ... capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

/** An error as one line for storage and logs (redact it before either). */
export const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Runs `work` until it settles or `timeoutMs` passes; `signal` tells the work when to give up. */
export function withTimeout<T>(work: (signal: AbortSignal) => T | Promise<T>, timeoutMs: number, stop: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([timeout, stop]);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(timeout.aborted ? `handler ran past ${timeoutMs} ms` : 'the app closed during the handler'));
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(() => work(signal))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
