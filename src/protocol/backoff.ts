/**
 * Full-jitter exponential backoff, the one formula for every retry (leased work, REST calls): a random delay between
 * 0 and base × 2^(attempt−1), capped. Callers that failed together (a portal or the network away) come back spread out
 * instead of all at once. Pure: the randomness can be passed in.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs));
}
