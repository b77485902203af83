/**
 * Kysely's driver for the one better-sqlite3 connection of a SQLite store, with what the ingest path needs:
 * - transactions take the write lock when they begin (BEGIN IMMEDIATE; see sqlite.ts for why);
 * - prepared statements are kept (preparing costs more than running most of our statements);
 * - a write is answered once it is durable: after a commit (or a write outside a transaction) the connection is
 *   released at once, so the next transaction can run, and the caller waits for the WAL's group fsync (wal-sync.ts).
 */
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  type DialectAdapter,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { WalSync } from './wal-sync.js';

const STATEMENT_CACHE = 500;
const DML = /^\s*(insert|update|delete)\b/i;

class Connection implements DatabaseConnection {
  private readonly statements = new Map<string, SQLite.Statement>();
  private wrote = false;
  /** Set when this connection committed a write: its holder waits for it to be on disk before it is let go. */
  pendingSync: Promise<void> | undefined;

  constructor(
    readonly db: SQLite.Database,
    private readonly sync: WalSync | undefined,
  ) {}

  private prepare(sql: string): SQLite.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value!);
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async executeQuery<R>({ sql, parameters }: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(sql);
    const args = parameters as unknown[];
    let result: QueryResult<R>;
    let changed: boolean;
    if (statement.reader) {
      result = { rows: statement.all(args) as R[] };
      changed = result.rows.length > 0;
    } else {
      const { changes, lastInsertRowid } = statement.run(args);
      result = { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
      changed = changes > 0;
    }
    // An insert, update or delete that touched no row wrote nothing (a claim that found no work): nothing to sync.
    if (!statement.readonly && (changed || !DML.test(sql))) this.wrote = true;
    if (sql === 'rollback') this.wrote = false;
    if (this.wrote && !this.db.inTransaction) {
      this.wrote = false;
      if (this.sync) this.pendingSync = this.sync.durable();
    }
    return result;
  }

  // biome-ignore lint/correctness/useYield: streaming is not used by this project; Kysely requires the method.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The SQLite store does not stream queries.');
  }
}

/** One user of the connection at a time: a statement, a transaction, or the WAL's catch-up (wal-checkpoint.ts). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let unlock!: () => void;
    const next = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const ready = this.tail.then(() => unlock);
    this.tail = next;
    return ready;
  }
}

export class DurableSqliteDriver implements Driver {
  private connection: Connection | undefined;
  private unlock: (() => void) | undefined;

  constructor(
    private readonly open: () => Promise<SQLite.Database>,
    private readonly sync: WalSync | undefined,
    private readonly mutex: Mutex,
  ) {}

  async init(): Promise<void> {
    this.connection = new Connection(await this.open(), this.sync);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.unlock = await this.mutex.lock();
    return this.connection!;
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  /** Lets the next user in at once; the caller's write is answered once the WAL's fsync holds it. */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const pending = (connection as Connection).pendingSync;
    (connection as Connection).pendingSync = undefined;
    const unlock = this.unlock;
    this.unlock = undefined;
    unlock?.();
    await pending;
  }

  async destroy(): Promise<void> {
    await this.sync?.close();
    this.connection?.db.close();
  }
}

export class DurableSqliteDialect extends SqliteDialect {
  constructor(
    private readonly openDatabase: () => Promise<SQLite.Database>,
    private readonly walSync: WalSync | undefined,
    private readonly mutex = new Mutex(),
  ) {
    super({ database: openDatabase });
  }

  override createDriver(): Driver {
    return new DurableSqliteDriver(this.openDatabase, this.walSync, this.mutex);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlAdapter();
  }
}

/**
 * SQLite's DDL is transactional, though Kysely's adapter says otherwise: so said, the migrator applies a start's
 * pending migrations in one transaction. A crash halfway leaves the database as it was, not with tables whose
 * migration is unrecorded (the next start would fail on them), and a new database takes one commit and one fsync
 * instead of one per statement (about sixty).
 */
class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
