/**
 * Group commit: events that arrive while a commit is in flight wait, and share the next one (one transaction and one
 * fsync for all of them). Each caller's promise settles only when the commit holding its event has settled, so an
 * event is answered 2xx only once it is on disk. At most `inFlight` batches are committing at once: one being synced
 * while the next is written (the SQLite store syncs commits in groups, wal-sync.ts; PostgreSQL commits each batch on
 * a connection of its own).
 */
export class GroupCommit<I, R> {
  private waiting: { item: I; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private running = 0;

  constructor(
    /** Commits a batch; answers one result per item, in order. */
    private readonly commit: (items: I[]) => Promise<R[]>,
    /** Whether a failed batch is worth committing again one event at a time (not when the database is away). */
    private readonly retryAlone: (error: unknown) => boolean = () => true,
    private readonly inFlight = 2,
    private readonly maxBatch = 256,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.inFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.next();
      });
    }
  }

  /** A batch that fails is committed again one event at a time, so that one bad event (or a deadlock) fails alone. */
  private async run(batch: typeof this.waiting): Promise<void> {
    try {
      const results = await this.commit(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i]!);
    } catch (error) {
      if (batch.length === 1 || !this.retryAlone(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      for (const w of batch) {
        await this.commit([w.item]).then(([result]) => w.resolve(result!), w.reject);
      }
    }
  }
}
