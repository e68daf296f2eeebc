import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * Group commit for the writes on the request paths (PAR, code, token, DPoP jti, audit). A commit
 * costs far more than the statement it commits (WAL frames for every page touched, the lock
 * dance, the automatic checkpoints it triggers), and under load many requests write in the same
 * event-loop turn. So `write` queues the operation, and once per turn (setImmediate) every queued
 * operation runs, in order, inside ONE `BEGIN IMMEDIATE` transaction; each promise settles only
 * after that COMMIT. Nothing is acknowledged before it is committed, so durability and the
 * contract are unchanged (AuditStore: "never loses an event it resolved for"); the cost is one
 * turn of latency per write. The queued bodies and the COMMIT run synchronously in one go, so no
 * read of this connection ever sees another operation's uncommitted rows.
 *
 * Atomicity per operation is kept: a failing single statement is undone alone by SQLite (statement
 * rollback); a multi-statement body (`atomic`) runs in a SAVEPOINT and is rolled back to it if it
 * throws. If the transaction as a whole fails (BEGIN, COMMIT, or an error that made SQLite roll it
 * back), nothing of it happened, and every operation is run again on its own, exactly as without
 * batching, so each caller gets its own result or error.
 */
export interface GroupCommit {
  write<T>(body: () => T, atomic?: boolean): Promise<T>;
  /** Runs and commits everything queued, now. */
  flush(): void;
}

interface QueuedWrite {
  body: () => unknown;
  atomic: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: boolean; value: unknown };

export function createGroupCommit(
  db: DatabaseSync,
  sql: (text: string) => StatementSync,
  immediate: <T>(body: () => T) => T,
  /** Wraps each transaction this makes (the write probe counts them); identity otherwise. */
  counted: <T>(body: () => T) => T = (body) => body(),
): GroupCommit {
  let queued: QueuedWrite[] = [];
  let flushScheduled = false;

  const write = <T>(body: () => T, atomic = false): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queued.push({ body, atomic, resolve: resolve as (value: unknown) => void, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });

  const runAlone = (operation: QueuedWrite): void => {
    try {
      operation.resolve(counted(() => (operation.atomic ? immediate(operation.body) : operation.body())));
    } catch (error) {
      operation.reject(error);
    }
  };

  /** Runs one queued operation inside the open batch transaction; false when SQLite rolled it all back. */
  const runInBatch = (operation: QueuedWrite, outcomes: Outcome[]): boolean => {
    if (operation.atomic) sql('SAVEPOINT gatehouse_write').run();
    try {
      outcomes.push({ ok: true, value: operation.body() });
      if (operation.atomic) sql('RELEASE gatehouse_write').run();
    } catch (error) {
      outcomes.push({ ok: false, value: error });
      if (!db.isTransaction) return false; // SQLite rolled the whole transaction back (e.g. SQLITE_FULL)
      if (operation.atomic) {
        sql('ROLLBACK TO gatehouse_write').run();
        sql('RELEASE gatehouse_write').run();
      }
    }
    return true;
  };

  /** Runs the batch in one transaction; the outcomes when it committed, undefined when it did not. */
  const commitBatch = (batch: readonly QueuedWrite[]): Outcome[] | undefined => {
    const outcomes: Outcome[] = [];
    try {
      sql('BEGIN IMMEDIATE').run();
      for (const operation of batch) if (!runInBatch(operation, outcomes)) return undefined;
      sql('COMMIT').run();
      return outcomes;
    } catch {
      return undefined;
    }
  };

  function flush(): void {
    flushScheduled = false;
    const batch = queued;
    queued = [];
    if (batch.length === 0) return;
    if (batch.length === 1 || !db.isOpen) {
      for (const operation of batch) runAlone(operation);
      return;
    }
    const outcomes = counted(() => commitBatch(batch));
    if (outcomes === undefined) {
      try {
        if (db.isOpen && db.isTransaction) sql('ROLLBACK').run();
      } catch {
        // Checked below.
      }
      if (db.isOpen && db.isTransaction) {
        // Never run (and acknowledge) an operation inside a transaction that will not commit.
        const error = new Error('the SQLite write transaction could not be rolled back');
        for (const operation of batch) operation.reject(error);
        return;
      }
      for (const operation of batch) runAlone(operation);
      return;
    }
    batch.forEach((operation, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) operation.resolve(outcome.value);
      else operation.reject(outcome.value);
    });
  }

  return { write, flush };
}
