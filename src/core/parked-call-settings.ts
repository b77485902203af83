/** Settings of the two tasks that finish parked calls: the REST replay and the continuation (`parkedCalls: {...}`). */
export interface ParkedCallSettings {
  /** Replays of one call started before it ends failed (no answer, the portal busy). Default 5. */
  maxReplayAttempts: number;
  /** Runs of a continuation started before it is left failed. Default 5. */
  maxContinuationAttempts: number;
  /** The backoff's ceiling before the second attempt (the delay is random below it); doubles, up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** A continuation's time. Default 30 s. */
  handlerTimeoutMs: number;
  /** How long a claimed call is held before another worker may take it over. Default 2 min. */
  leaseMs: number;
  pollMs: number;
  /** Continuations run at once. Default 4. */
  concurrency: number;
}

export const defaultParkedCallSettings: ParkedCallSettings = {
  maxReplayAttempts: 5,
  maxContinuationAttempts: 5,
  retryDelayMs: 1000,
  maxRetryDelayMs: 5 * 60_000,
  handlerTimeoutMs: 30_000,
  leaseMs: 2 * 60_000,
  pollMs: 1000,
  concurrency: 4,
};
