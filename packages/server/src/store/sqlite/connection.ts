import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { createGroupCommit } from './group-commit.ts';

/**
 * Opens a database file with the settings every Gatehouse connection uses: WAL (readers never wait
 * for the writer), a busy timeout so concurrent writers from other processes queue instead of
 * failing, and synchronous=NORMAL (durable at checkpoints; safe against corruption in WAL mode).
 */
export function openSqliteDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    // busy_timeout first, so switching to WAL waits for a concurrently opening process.
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA synchronous = NORMAL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** What every aggregate of the SQLite store works with: one connection and its ways to write. */
export interface SqliteConnection {
  readonly db: DatabaseSync;
  /** The prepared statement for `text`, prepared on first use and cached for the store's life. */
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

export function createSqliteConnection(db: DatabaseSync): SqliteConnection {
  // Prepared once per store and reused: these run on every token request.
  const statements = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
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

  const { write, flush } = createGroupCommit(db, sql, immediate);
  return { db, sql, immediate, write, flush };
}
