import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * One read transaction per event-loop turn for the reads outside a write (issue #18, finding 11;
 * decision 0047). A statement outside a transaction is a transaction of its own, and in WAL mode
 * each one takes and drops a read lock: two `fcntl` system calls, about as much as the lookup
 * itself. A refresh makes four such reads. So the first read of a turn opens a read transaction
 * (`BEGIN`, deferred: it writes nothing and blocks no writer, of this process or another), later
 * reads of the same turn use it, and it ends at the end of the turn (setImmediate), or before
 * anything that is not a read runs on the connection, so a write never joins it: every write still
 * starts from the newest committed state, which is where exactly-once decisions are taken.
 *
 * What it changes: reads in one turn see one snapshot, taken at the turn's first read. A commit by
 * another process (or connection) in the same turn is seen from the next turn on, at most one turn
 * later than without the snapshot, as if the read had come a little earlier.
 */
export interface ReadSnapshot {
  /** Before a read: opens the turn's read transaction unless one (or a write) is open. */
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
  const endOfTurn = (): void => {
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
        process.nextTick(endOfTurn);
      }
    },
    leave,
  };
}
