/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that finds the WAL past
 * 1,000 pages: it copies the logged pages into the database file and syncs it, 10-20 ms in which the event loop stands
 * still (under load about one commit in 30, and half of all the time spent committing). The store's connection turns
 * it off (`wal_autocheckpoint = 0`), and once the WAL has grown past the same size a worker thread with a connection
 * of its own checkpoints it, every EVERY_MS:
 *
 * 1. a PASSIVE checkpoint copies what the WAL holds into the file while the store goes on writing;
 * 2. when the WAL holds RESTART_FRAMES or more, a second one runs while the store's connection is held (its users
 *    wait, the event loop does not): it copies the few pages written during the first, so that every frame is in the
 *    file and the next write starts the WAL again from its beginning. Without it, a store that never stops writing
 *    would grow its WAL forever: SQLite restarts the WAL only once a checkpoint has caught up with the last write.
 *
 * Durability does not depend on any of this: a commit is on disk once the WAL is synced (wal-sync.ts). A short-lived
 * process (a CLI command) never starts the worker: closing the last connection checkpoints the WAL, as SQLite always
 * does.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Mutex } from './sqlite-driver.js';

/** SQLite's default automatic checkpoint: 1,000 pages of 4 KiB. */
const RESTART_FRAMES = 1000;
/** The WAL's size at which the worker starts. */
export const CHECKPOINT_WAL_BYTES = 4096 * RESTART_FRAMES;
const EVERY_MS = 200;

// Evaluated as a CommonJS script in the worker; the driver's path comes resolved from here. Answers each request
// with the frames in the WAL (`log`) and how many of them are in the file (`checkpointed`).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
db.pragma('synchronous = NORMAL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let answer = { log: 0, checkpointed: 0 };
  try {
    answer = db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch {} // busy: another connection checkpoints; the next round tries again
  parentPort.postMessage(answer);
});
`;

interface Checkpointed {
  log: number;
  checkpointed: number;
}

export class WalCheckpoints {
  private worker: Worker | undefined;
  private closed = false;
  private answer: ((result: Checkpointed) => void) | undefined;
  private tick: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    private readonly path: string,
    /** The store's connection: held while the WAL catches up. */
    private readonly connection: Mutex,
    /** The worker could not run: the connection should checkpoint by itself again. */
    private readonly failed: () => void,
  ) {}

  start(): void {
    if (this.worker || this.closed) return;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { path: this.path, driver } });
    worker.unref();
    worker.on('message', (result: Checkpointed) => this.settle(result));
    worker.once('exit', () => this.settle({ log: 0, checkpointed: 0 }));
    worker.once('error', () => {
      this.stop();
      this.failed();
    });
    this.worker = worker;
    void this.rounds();
  }

  async close(): Promise<void> {
    const worker = this.stop();
    if (!worker) return;
    worker.ref(); // an unreferenced worker would let the process exit before it closed its connection
    await new Promise((resolve) => {
      worker.once('exit', resolve);
      worker.postMessage('close');
    });
  }

  private stop(): Worker | undefined {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (this.tick) {
      clearTimeout(this.tick.timer);
      this.tick.resolve();
    }
    return worker;
  }

  private async rounds(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, EVERY_MS);
        timer.unref();
        this.tick = { timer, resolve };
      });
      if ((await this.checkpoint()).log < RESTART_FRAMES) continue;
      const release = await this.connection.lock();
      try {
        await this.checkpoint();
      } finally {
        release();
      }
    }
  }

  /** One PASSIVE checkpoint in the worker (none once closed). */
  private checkpoint(): Promise<Checkpointed> {
    const worker = this.worker;
    if (!worker || this.closed) return Promise.resolve({ log: 0, checkpointed: 0 });
    return new Promise((resolve) => {
      this.answer = resolve;
      worker.postMessage('checkpoint');
    });
  }

  private settle(result: Checkpointed): void {
    const answer = this.answer;
    this.answer = undefined;
    answer?.(result);
  }
}
