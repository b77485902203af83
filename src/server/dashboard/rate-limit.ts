/** Sign-in attempts per client address: at most `limit` in any `windowMs`; the next ones are answered 429. */
export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts an attempt; false when the address has used up its attempts (the attempt is then not counted). */
  allow(address: string, now = Date.now()): boolean {
    const recent = (this.attempts.get(address) ?? []).filter((at) => at > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.attempts.set(address, recent);
      return false;
    }
    recent.push(now);
    this.attempts.set(address, recent);
    // Forget quiet addresses, so that a spray of addresses cannot grow the map without bound.
    if (this.attempts.size > 10_000)
      for (const [key, times] of this.attempts)
        if (times.every((at) => at <= now - this.windowMs)) this.attempts.delete(key);
    return true;
  }

  /** Seconds until the address may try again. */
  retryAfter(address: string, now = Date.now()): number {
    const oldest = (this.attempts.get(address) ?? [])[0];
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
  }
}
