/**
 * Runs a worker's round when woken and every `pollMs`, one round at a time; a wake during a round runs one more
 * after it. Wakes are deferred to the next turn of the event loop, so whoever wakes (a request being answered) goes first.
 */
export class Poller {
  private started = false;
  private stopped = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  /** The round under way, if any. */
  current: Promise<void> | undefined;

  constructor(
    private readonly round: () => Promise<void>,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  get active(): boolean {
    return this.started && !this.stopped;
  }

  start(): void {
    this.started = true;
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (!this.active) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.round())
      .catch(this.onError)
      .finally(() => {
        this.current = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** No more rounds; answers when the one under way (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.current;
  }
}
