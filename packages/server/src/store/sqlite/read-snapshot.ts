import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * One read transaction per run of the event loop for the reads outside a write (issue #18,
 * finding 11; decision 0047). A statement outside a transaction is a transaction of its own, and in
 * WAL mode each one takes and drops a read lock: two `fcntl` system calls, about as much as the
 * lookup itself. A refresh makes four such reads. So the first read of a run (the callback that is
 * running and the promise continuations it sets off) opens a read transaction (`BEGIN`, deferred:
 * it writes nothing and blocks no writer, of this process or another), later reads of the same run
 * use it, and it ends when the run does (`process.nextTick`, once the microtask queue is empty), or
 * before anything that is not a read runs on the connection, so a write never joins it: every write
 * still starts from the newest committed state, which is where exactly-once decisions are taken.
 *
 * What it changes: the reads of one run see one snapshot, taken at its first read. A commit by
 * another process (or connection) during the run is seen from the next run on; no I/O comes in
 * between, so nothing the run reads can have been caused by that commit.
 */
export interface ReadSnapshot {
  /** Before a read: opens the run's read transaction unless one (or a write) is open. */
  enter(): void;
  /** Before anything else, and at a clean stop: ends the read transaction if one is open. */
  leave(): void;
}

export function createReadSnapshot(
  db: DatabaseSync,
  statement: (text: string) => StatementSync,
): ReadSnapshot {
  let open = false;
  let endScheduled = false;
  const endOfRun = (): void => {
    endScheduled = false;
    leave();
  };
  const leave = (): void => {
    if (!open) return;
    open = false;
    // A read transaction has nothing to lose: if it was already ended (the connection closed, or a
    // failed statement rolled it back), there is nothing left to end.
    if (db.isOpen && db.isTransaction) statement('COMMIT').run();
  };
  return {
    enter() {
      if (open || db.isTransaction) return;
      statement('BEGIN').run();
      open = true;
      if (!endScheduled) {
        endScheduled = true;
        process.nextTick(endOfRun);
      }
    },
    leave,
  };
}
