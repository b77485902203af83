/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that finds the WAL past
 * 1,000 pages: it copies the logged pages into the database file and syncs it, 10-20 ms in which the event loop stands
 * still (under load about one commit in 30, and half of all the time spent committing). The store's connection turns
 * it off (`wal_autocheckpoint = 0`); once the WAL has grown past the same size, a worker thread with a connection of
 * its own runs a PASSIVE checkpoint every EVERY_MS: it takes no lock a writer waits for, and copies only what every
 * reader is done with. Durability does not depend on it: a commit is on disk once the WAL is synced (wal-sync.ts).
 *
 * A short-lived process (a CLI command) never gets that far: closing the last connection checkpoints the WAL, as
 * SQLite always does.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The WAL's size at which the worker starts: SQLite's default automatic checkpoint (1,000 pages of 4 KiB). */
export const CHECKPOINT_WAL_BYTES = 4096 * 1000;
const EVERY_MS = 200;

// Evaluated as a CommonJS script in the worker; the driver's path comes resolved from here.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} // busy: another checkpoint runs; the next tick tries again
}, workerData.everyMs);
parentPort.once('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

export class WalCheckpoints {
  private worker: Worker | undefined;
  private closed = false;

  constructor(
    private readonly path: string,
    /** The worker could not run: the connection should checkpoint by itself again. */
    private readonly failed: () => void,
  ) {}

  start(): void {
    if (this.worker || this.closed) return;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { path: this.path, driver, everyMs: EVERY_MS } });
    worker.unref();
    worker.once('error', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failed();
    });
    this.worker = worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    worker.ref(); // an unreferenced worker would let the process exit before it closed its connection
    await new Promise((resolve) => {
      worker.once('exit', resolve);
      worker.postMessage('close');
    });
  }
}
