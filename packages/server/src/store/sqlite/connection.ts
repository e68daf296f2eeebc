import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { createGroupCommit } from './group-commit.ts';
import { createReadSnapshot } from './read-snapshot.ts';

/**
 * How a commit reaches the disk (docs/deployment.md, "SQLite durability"): `normal` (the default)
 * syncs the WAL at checkpoints only, so a commit survives a crash of the process but the last ones
 * before a power loss or kernel crash may be lost; `full` syncs the WAL at every commit, so a
 * commit survives that too, at the price of an fsync per (group) commit.
 */
export type SqliteSynchronous = 'normal' | 'full';

/**
 * Opens a database file with the settings every Gatehouse connection uses: WAL (readers never wait
 * for the writer), a busy timeout so concurrent writers from other processes queue instead of
 * failing, and synchronous=NORMAL unless asked for FULL (safe against corruption in WAL mode either way).
 */
export function openSqliteDatabase(path: string, synchronous: SqliteSynchronous = 'normal'): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    // busy_timeout first, so switching to WAL waits for a concurrently opening process.
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec(synchronous === 'full' ? 'PRAGMA synchronous = FULL' : 'PRAGMA synchronous = NORMAL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * What the store has written (issue #18, finding 11): a probe for tests and the bench, filled in
 * when given to `openSqliteStore`. `commits` counts the transactions of the write paths (each group
 * commit, each `immediate`, each write that ran alone); `rows` is SQLite's `total_changes()` over
 * them. Admin and start-up writes that bypass those paths are not counted. `checkpoints` counts the
 * WAL checkpoints the worker ran (checkpointer.ts): the fsyncs, none of them on the event loop;
 * `walRestarts`, when present, the times the WAL started over from its beginning (a checkpoint
 * found fewer frames in it than the one before).
 */
export interface SqliteWriteCounters {
  commits: number;
  rows: number;
  checkpoints: number;
  walRestarts?: number;
}

/** What every aggregate of the SQLite store works with: one connection and its ways to write. */
export interface SqliteConnection {
  readonly db: DatabaseSync;
  /**
   * The prepared statement for `text`, prepared on first use and cached for the store's life. A
   * `SELECT` runs in the read snapshot of this run of the event loop; anything else ends that
   * snapshot first (./read-snapshot.ts).
   */
  sql(text: string): StatementSync;
  /** Runs `body` holding the database write lock from its first read to its commit. */
  immediate<T>(body: () => T): T;
  /**
   * Queues a write for this event-loop turn's group commit (./group-commit.ts); `atomic` runs a
   * multi-statement body in a savepoint of its own.
   */
  write<T>(body: () => T, atomic?: boolean): Promise<T>;
  /** Commits whatever is queued now (a clean stop: nothing resolved or pending is dropped). */
  flush(): void;
}

export function createSqliteConnection(db: DatabaseSync, counters?: SqliteWriteCounters): SqliteConnection {
  // Prepared once per store and reused: these run on every token request.
  const statements = new Map<string, { statement: StatementSync; reads: boolean }>();
  const prepared = (text: string) => {
    let entry = statements.get(text);
    if (entry === undefined) {
      entry = { statement: db.prepare(text), reads: /^\s*SELECT\b/i.test(text) };
      statements.set(text, entry);
    }
    return entry;
  };
  const snapshot = createReadSnapshot(db, (text) => prepared(text).statement);
  const sql = (text: string): StatementSync => {
    const { statement, reads } = prepared(text);
    if (reads) snapshot.enter();
    else snapshot.leave();
    return statement;
  };

  // Not through `sql`: counting must not open or end the read snapshot it is measuring around.
  const totalChanges = (): number => Number(prepared('SELECT total_changes() AS n').statement.get()?.n ?? 0);
  /** Counts one commit of `body` (only when a probe is attached: it costs a query). */
  const counted =
    counters === undefined
      ? <T>(body: () => T): T => body()
      : <T>(body: () => T): T => {
          const before = totalChanges();
          const result = body();
          counters.commits++;
          counters.rows += totalChanges() - before;
          return result;
        };

  const immediate = <T>(body: () => T): T => {
    sql('BEGIN IMMEDIATE').run();
    try {
      const result = body();
      sql('COMMIT').run();
      return result;
    } catch (error) {
      if (db.isTransaction) sql('ROLLBACK').run();
      throw error;
    }
  };

  const groupCommit = createGroupCommit(db, sql, immediate, counted);
  const flush = (): void => {
    groupCommit.flush();
    snapshot.leave();
  };
  return { db, sql, immediate: (body) => counted(() => immediate(body)), write: groupCommit.write, flush };
}
