/**
 * Each installation as last read, so that the receiver proves an ordinary event without a database read. It is valid
 * for one value of the installations' version counter (migration 008_perf), which moves whenever any writer, on any
 * instance, changes an application_token or a status: every group commit reads the counter in its transaction, and
 * when it has moved the cache is emptied and the commit proves its events again from the database. So a cached
 * token never outlives a change by more than the commit in which the change is seen, and no event is stored on it.
 */
import { getInstallation, installationsVersion } from '../store/installations.js';
import type { Db, Installation } from '../store/schema.js';

/** Portals kept; past it the cache starts again (each portal costs one read to come back). */
const MAX_ENTRIES = 100_000;

export class ApplicationTokenCache {
  private version: number | undefined;
  private readonly rows = new Map<string, Installation>();

  /** The installation as cached, if it is. */
  peek(memberId: string): Installation | undefined {
    return this.rows.get(memberId);
  }

  /** Reads the installation from the database and keeps it, tagged with the counter read before it. */
  readonly read = async (db: Db, memberId: string): Promise<Installation | undefined> => {
    const version = await installationsVersion(db);
    const row = await getInstallation(db, memberId);
    if (this.holds(version) && row) {
      if (this.rows.size >= MAX_ENTRIES) this.rows.clear();
      this.rows.set(memberId, row);
    }
    return row;
  };

  /** Whether the cache is valid at this counter; when it is not, it is emptied and valid from now on. */
  holds(version: number): boolean {
    if (version === this.version) return true;
    this.rows.clear();
    this.version = version;
    return false;
  }
}
