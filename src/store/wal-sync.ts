/**
 * Group fsync of a SQLite write-ahead log, off the event loop. The SQLite store commits with synchronous=NORMAL, which
 * writes each commit to the WAL without syncing it (a process that dies, even by SIGKILL, loses nothing: the
 * operating system holds the written pages), and then syncs the WAL itself with an fsync that runs in libuv's thread
 * pool. A commit is durable, also against power loss, once a sync that started after it has finished; every commit
 * made while a sync runs shares the next one. This is what `synchronous=FULL` guarantees, with one fsync for many
 * commits instead of one each, and none blocking the event loop.
 *
 * fsync(2) flushes the file, whichever descriptor wrote it. SQLite never deletes or replaces the WAL while a
 * connection (ours) has the database open; a checkpoint syncs the WAL itself before it copies pages out of it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { CHECKPOINT_WAL_BYTES } from './wal-checkpoint.js';

export class WalSync {
  private file: Promise<FileHandle> | undefined;
  /** The fsync running now, and the one that will run after it (shared by every commit made meanwhile). */
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly walPath: string,
    /** Called once, after the first sync that finds the WAL past CHECKPOINT_WAL_BYTES (wal-checkpoint.ts). */
    private grown?: () => void,
  ) {}

  /** Resolves once every commit made before this call is on disk; rejects if the disk refused (SQLITE_IOERR_FSYNC). */
  durable(): Promise<void> {
    if (!this.running) return this.start();
    // The running sync may have begun before the caller's commit: only the next one is sure to include it.
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => {});
    await this.queued?.catch(() => {});
    const file = this.file;
    this.file = undefined;
    await (await file?.catch(() => undefined))?.close();
  }

  private startQueued(): Promise<void> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const run = this.sync().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** Off the path of the writes waiting for this sync: they are durable already, whatever the size says. */
  private checkSize(file: FileHandle): void {
    file.stat().then(
      ({ size }) => {
        if (size < CHECKPOINT_WAL_BYTES || !this.grown) return;
        this.grown();
        this.grown = undefined;
      },
      () => {}, // the next sync looks again
    );
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    try {
      this.file ??= open(this.walPath, 'r');
      const file = await this.file;
      await file.sync();
      if (this.grown) this.checkSize(file);
    } catch (error) {
      const file = this.file;
      this.file = undefined; // open it again next time (it may not have existed yet)
      await (await file?.catch(() => undefined))?.close().catch(() => {});
      throw Object.assign(new Error('The SQLite write-ahead log could not be synced to disk.', { cause: error }), {
        code: 'SQLITE_IOERR_FSYNC',
      });
    }
  }
}
